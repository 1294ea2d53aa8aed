"""Threaded comments stored in the lesson plan's Y.Map ``"comments"`` (entry shape: README).

Each entry is one plain JSON value keyed by its id: a thread's first comment carries the text anchor, a
reply names its thread. Replies are entries of their own so that two people replying at once never
overwrite each other; resolving rewrites only the thread's first entry.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from pycrdt import Doc, Map

from collab.anchors import (
    ItemId,
    TextMap,
    b64,
    decode_relative_position,
    encode_relative_position,
    text_map,
    text_nodes,
    unb64,
)
from collab.api import COMMENTS_FIELD, LiveDocuments
from collab.prosemirror import doc_from_state, read_doc
from collab.sections import inline_text, is_section_heading, split_sections
from server.db import now
from server.errors import NotFound, ValidationError

Entry = dict[str, Any]

MAX_TEXT = 5000


def comments_map(doc: Doc) -> Map[Any]:
    return doc.get(COMMENTS_FIELD, type=Map)


def author_of(author_id: int, author_name: str) -> dict[str, Any]:
    return {"id": author_id, "name": author_name}


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError("comment text must not be empty", code="empty_comment")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"comment text is longer than {MAX_TEXT} characters", code="comment_too_long")
    return text


def _write(doc: Doc, entry: Entry) -> bytes:
    before = doc.get_state()
    comments_map(doc)[entry["id"]] = entry
    return doc.get_update(before)


def section_range(doc: Doc, section_title: str) -> tuple[int, int]:
    """Top-level node indexes ``[heading, next section heading)`` of the section titled ``section_title``."""
    for section in split_sections(read_doc(doc)):
        if section.title == section_title.strip() and section.index >= 0:
            return section.index, section.index + 1 + len(section.nodes)
    raise NotFound(f"section {section_title!r} not found", code="section_not_found")


def anchor_in_section(doc: Doc, section_title: str, quote: str | None) -> tuple[bytes, bytes, str]:
    """Relative positions around ``quote`` inside the section, or around its heading when no quote."""
    first, stop = section_range(doc, section_title)
    inside = {n for n, (path, _) in enumerate(text_nodes(doc)) if first <= path[0] < stop}
    probe = text_map(doc, only=inside)
    for n in sorted(inside):
        if not probe.strings[n]:
            continue
        s = probe.strings[n]
        if quote:
            at = s.find(quote)
            if at < 0:
                continue
            return (*_anchor(probe, n, at, at + len(quote)), quote)
        return (*_anchor(probe, n, 0, len(s)), s)
    if quote:
        raise NotFound(f"{quote!r} not found in section {section_title!r}", code="quote_not_found")
    raise NotFound(f"section {section_title!r} has no text", code="section_not_found")


def _anchor(probe: TextMap, n: int, start: int, end: int) -> tuple[bytes, bytes]:
    ids = probe.ids[n]
    return encode_relative_position(ids[start], 0), encode_relative_position(ids[end - 1], 0)


def add_comment(
    doc: Doc,
    *,
    text: str,
    author_id: int,
    author_name: str,
    anchor: tuple[bytes, bytes] | None,
    quote: str = "",
    section: str = "",
    thread: str | None = None,
    suggestion: str | None = None,
) -> tuple[Entry, bytes]:
    """Write a new comment (or a reply when ``thread`` is set) into ``doc``; return it and the update.

    ``suggestion`` proposes text to replace the anchored range (see :mod:`collab.suggestions`)."""
    text = _check_text(text)
    if suggestion is not None and (thread is not None or anchor is None):
        raise ValidationError("a suggestion needs an anchored range", code="suggestion_without_range")
    if thread is not None:
        root = comments_map(doc).get(thread)
        if not isinstance(root, dict) or root.get("thread"):
            raise NotFound(f"comment {thread} not found", code="comment_not_found")
    if anchor is not None:
        for pos in anchor:
            decode_relative_position(pos)
    entry: Entry = {
        "id": uuid.uuid4().hex[:16],
        "thread": thread,
        "author": author_of(author_id, author_name),
        "text": text,
        "created_at": now(),
        "anchor": {"start": b64(anchor[0]), "end": b64(anchor[1])} if anchor else None,
        "quote": quote,
        "section": section,
        "resolved": False,
        "resolved_by": None,
        "resolved_at": None,
        "suggestion": suggestion,
        "accepted": False,
    }
    return entry, _write(doc, entry)


def thread_root(doc: Doc, comment_id: str) -> Entry:
    entry = comments_map(doc).get(comment_id)
    if not isinstance(entry, dict) or entry.get("thread"):
        raise NotFound(f"comment thread {comment_id} not found", code="comment_not_found")
    return dict(entry)


def set_resolved(doc: Doc, comment_id: str, resolved: bool, author_id: int, author_name: str) -> bytes:
    entry = thread_root(doc, comment_id)
    entry["resolved"] = resolved
    entry["resolved_by"] = author_of(author_id, author_name) if resolved else None
    entry["resolved_at"] = now() if resolved else None
    return _write(doc, entry)


def resolve_anchor(probe: TextMap, anchor: dict[str, str] | None) -> dict[str, Any] | None:
    """Where an anchor's range is now: text node path, character offsets and the current text.

    ``start`` names the range's first character and ``end`` its last one (whatever their assoc)."""
    if not anchor:
        return None
    try:
        start_item, _ = decode_relative_position(unb64(anchor["start"]))
        end_item, _ = decode_relative_position(unb64(anchor["end"]))
    except (KeyError, TypeError, ValueError):
        return None
    start, end = probe.locate(start_item), probe.locate(end_item)
    if start is None or end is None:
        return None  # the anchored characters were deleted
    n, first = start
    text = probe.strings[n]
    stop = end[1] + 1 if end[0] == n else len(text)
    if stop <= first:
        return None
    return {"path": list(probe.paths[n]), "start": first, "end": stop, "text": text[first:stop]}


def list_threads(doc: Doc, *, locate: bool = True) -> list[Entry]:
    """Threads oldest first, each ``{…root entry, replies: [...], position: {...} | None, section_now}``."""
    raw = {str(k): _clean(v) for k, v in comments_map(doc).items() if isinstance(v, dict)}
    probe = text_map(doc) if locate and raw else None
    headings = _heading_titles(doc)
    threads: dict[str, Entry] = {}
    for key, entry in raw.items():
        if not entry.get("thread"):
            thread = dict(entry, id=key, replies=[])
            position = resolve_anchor(probe, entry.get("anchor")) if probe else None
            thread["position"] = position
            thread["section_now"] = _section_at(headings, position) if position else entry["section"]
            threads[key] = thread
    for key, entry in raw.items():
        parent = threads.get(str(entry.get("thread") or ""))
        if parent is not None:
            parent["replies"].append(dict(entry, id=key))
    for thread in threads.values():
        thread["replies"].sort(key=lambda e: e["created_at"])
    return sorted(threads.values(), key=lambda e: e["created_at"])


def _clean(entry: dict[Any, Any]) -> Entry:
    """An entry as written by any client, with the fields readers rely on in their documented types."""
    raw_author = entry.get("author")
    author: dict[str, Any] = raw_author if isinstance(raw_author, dict) else {}
    created = entry.get("created_at")
    return dict(
        entry,
        author={"id": author.get("id"), "name": str(author.get("name") or "")},
        text=str(entry.get("text") or ""),
        created_at=float(created) if isinstance(created, int | float) else 0.0,
        quote=str(entry.get("quote") or ""),
        section=str(entry.get("section") or ""),
        resolved=bool(entry.get("resolved")),
    )


def _heading_titles(doc: Doc) -> list[tuple[int, str]]:
    content = read_doc(doc)["content"]
    return [(i, inline_text(n).strip()) for i, n in enumerate(content) if is_section_heading(n)]


def _section_at(headings: list[tuple[int, str]], position: dict[str, Any]) -> str:
    top = int(position["path"][0])
    title = ""
    for index, heading_title in headings:
        if index <= top:
            title = heading_title
    return title


async def add_section_comment(
    live_docs: LiveDocuments, doc_id: str, section_title: str, text: str, author_name: str, author_id: int
) -> str:
    """Comment on a section of a live lesson plan, anchored to its heading; returns the comment id.

    For other packages (evaluation feeds observation notes back into the plan). Raises ``NotFound`` when
    the section does not exist."""
    state = await live_docs.state(doc_id)
    entry, update = await asyncio.to_thread(
        comment_on_state, state, text=text, author_id=author_id, author_name=author_name,
        section=section_title, quote=None, anchor=None, thread=None,
    )  # fmt: skip
    await live_docs.apply_update(doc_id, update, origin=f"comment:{author_id}")
    return str(entry["id"])


def comment_on_state(
    state: bytes,
    *,
    text: str,
    author_id: int,
    author_name: str,
    section: str | None,
    quote: str | None,
    anchor: tuple[bytes, bytes] | None,
    thread: str | None,
    suggestion: str | None = None,
) -> tuple[Entry, bytes]:
    """A new comment on the document ``state``: anchored by ``anchor``, or to ``quote`` in ``section`` (or
    the section's heading), or a reply in ``thread``. Pure CPU work: callers run it in a thread."""
    doc = doc_from_state(state)
    found_quote = quote or ""
    if thread is None and anchor is None:
        start, end, found_quote = anchor_in_section(doc, section or "", quote)
        anchor = (start, end)
    return add_comment(doc, text=text, author_id=author_id, author_name=author_name, anchor=anchor,
                       quote=found_quote, section=section or "", thread=thread,
                       suggestion=suggestion)  # fmt: skip


def threads_of_state(state: bytes) -> list[Entry]:
    """:func:`list_threads` of a document state (CPU work: callers run it in a thread)."""
    return list_threads(doc_from_state(state))


__all__ = ["ItemId", "add_comment", "add_section_comment", "list_threads", "set_resolved"]
