"""Report and feedback wording, from the locale files (Chinese first)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LOCALE = "zh-CN"


@cache
def _table(locale: str) -> dict[str, str]:
    raw = (resources.files("evaluation") / "locales" / f"{locale}.json").read_text(encoding="utf-8")
    return dict(json.loads(raw))


def t(key: str, locale: str = DEFAULT_LOCALE, **values: Any) -> str:
    """The text for ``key``, formatted with ``values``; the key itself when it is missing."""
    text = _table(locale).get(key, key)
    return text.format(**values) if values else text


def kind_label(kind: str | None, locale: str = DEFAULT_LOCALE) -> str:
    return t(f"kind_{kind}", locale) if kind else ""
