"""The web client's strings (web/src/i18n.ts, web/src/locales): every key the code looks up exists in Chinese and
English, both files hold the same keys, and counts take the plural form their language needs ("1 evaluation")."""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from typing import Any

import pytest

from tests.support.server import ROOT
from tests.support.services import require_node

WEB = ROOT / "web"
LOCALES = ("zh-CN", "en")


def _catalog(locale: str) -> dict[str, Any]:
    return dict(json.loads((WEB / "src" / "locales" / f"{locale}.json").read_text(encoding="utf-8")))


@cache
def _used() -> dict[str, Any]:
    """What ``tests/js/locale_keys.cjs`` finds in web/src (skipped without web/node_modules)."""
    node = require_node()
    if not (WEB / "node_modules" / "typescript").exists():
        pytest.skip("web/node_modules has no TypeScript yet (run `make web`)")
    proc = subprocess.run([node, str(ROOT / "tests" / "js" / "locale_keys.cjs"), str(WEB)],
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    return dict(json.loads(proc.stdout))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_the_code_looks_up_is_in_the_locale(locale: str) -> None:
    catalog, used = _catalog(locale), _used()
    assert len(used["keys"]) > 100  # the scan found the client's calls
    missing = sorted({f"{k['key']} ({k['where']})" for k in used["keys"] if k["key"] not in catalog})
    assert not missing, f"missing in {locale}.json: {missing}"
    # `tool.${name}`: at least one key of that shape (that each one exists in both files is the next test)
    unmatched = sorted({f"{p['pattern']} ({p['where']})" for p in used["patterns"]
                        if not any(re.match(p["pattern"], k) for k in catalog)})  # fmt: skip
    assert not unmatched, f"no key in {locale}.json fits {unmatched}"
    assert not used["unresolved"], "keys the scan cannot read; pass a literal or a template literal"


def test_both_locales_have_the_same_keys() -> None:
    zh, en = _catalog("zh-CN"), _catalog("en")
    assert sorted(zh.keys() - en.keys()) == [], "only in zh-CN.json"
    assert sorted(en.keys() - zh.keys()) == [], "only in en.json"


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_messages_have_the_forms_their_language_needs_and_get_a_count(locale: str) -> None:
    catalog, used = _catalog(locale), _used()
    needed = set(used["categories"][locale])
    plurals = {k: v for k, v in catalog.items() if isinstance(v, dict)}
    assert {"eval.count", "eval.pending", "obs.n", "obs.pending"} <= plurals.keys()
    for key, forms in plurals.items():
        assert needed <= forms.keys(), (key, sorted(needed - forms.keys()))
        assert set(forms) <= {"zero", "one", "two", "few", "many", "other"}, key
        assert all(isinstance(f, str) and f for f in forms.values()), key
        assert "{n}" in forms["other"], key
    assert all(isinstance(v, str) for k, v in catalog.items() if k not in plurals)
    without_n = sorted({k["where"] for k in used["keys"] if k["key"] in plurals and not k["n"]})
    assert not without_n, f"plural messages looked up without a count n: {without_n}"


def test_english_says_1_evaluation_and_2_evaluations_chinese_has_one_form() -> None:
    samples = _used()["samples"]  # i18n.ts's own t(), run by Node
    assert samples["en"] == {
        "0": "0 evaluations",
        "1": "1 evaluation",
        "2": "2 evaluations",
        "5": "5 evaluations",
    }
    assert samples["zh-CN"] == {
        "0": "已有 0 份评分",
        "1": "已有 1 份评分",
        "2": "已有 2 份评分",
        "5": "已有 5 份评分",
    }
