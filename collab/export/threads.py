"""The comment threads appended to an exported plan, read once for every format.

A thread from ``collab.comments`` carries its anchor in several places (the live position's text, or the
quote kept when the anchor was lost; the section it now sits in, or the one it was made in). Every export
format shows the same facts in the same order; only the markup differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Reply:
    author: str
    text: str


@dataclass(frozen=True, slots=True)
class ThreadView:
    author: str
    text: str
    where: str  # the section heading the thread sits in ("" when unknown)
    quote: str  # the anchored text ("" when none)
    resolved: bool
    suggestion: str | None  # the suggested replacement, when the thread is a suggestion
    accepted: bool
    replies: tuple[Reply, ...]


def view(thread: dict[str, Any]) -> ThreadView:
    suggestion = thread.get("suggestion")
    return ThreadView(
        author=str(thread["author"]["name"]),
        text=str(thread["text"]),
        where=thread.get("section_now") or thread.get("section") or "",
        quote=(thread.get("position") or {}).get("text") or thread.get("quote") or "",
        resolved=bool(thread.get("resolved")),
        suggestion=None if suggestion is None else str(suggestion),
        accepted=bool(thread.get("accepted")),
        replies=tuple(Reply(str(r["author"]["name"]), str(r["text"])) for r in thread.get("replies") or []),
    )


RESOLVED = "（已解决）"
ACCEPTED = "（已采纳）"
SUGGEST = " 建议改为"
HEADING = "批注"
