"""Suggestions (修改建议): a comment thread that proposes text for its anchored range, accepted in the CRDT.

Experts cannot edit the text; an editor accepts their suggestion, and the server replaces the range's
current characters with the proposed text (keeping the formatting of the range's first character) and
resolves the thread, in one transaction that reaches every client as an ordinary update.
"""

from __future__ import annotations

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.anchors import text_map, text_string
from collab.comments import author_of, comments_map, resolve_anchor, thread_root
from collab.prosemirror import doc_from_state, fragment_of
from server.db import now
from server.errors import Conflict, ValidationError


def _node_at(doc: Doc, path: list[int]) -> XmlText:
    node: XmlFragment | XmlElement | XmlText = fragment_of(doc)
    for i in path:
        if isinstance(node, XmlText):
            break
        node = node.children[i]
    if not isinstance(node, XmlText):
        raise Conflict("the suggested range is no longer text", code="suggestion_stale")
    return node


def accept_suggestion(doc: Doc, comment_id: str, author_id: int, author_name: str) -> bytes:
    """Replace the thread's anchored text with its suggestion and resolve it; returns the update."""
    entry = thread_root(doc, comment_id)
    suggestion = entry.get("suggestion")
    if not isinstance(suggestion, str):
        raise ValidationError("this comment has no suggestion", code="no_suggestion")
    if entry.get("accepted"):
        raise Conflict("the suggestion was already accepted", code="suggestion_accepted")
    position = resolve_anchor(text_map(doc), entry.get("anchor"))
    if position is None:
        raise Conflict("the suggested range was deleted", code="suggestion_stale")
    text = _node_at(doc, list(position["path"]))
    chars = text_string(text)
    start, end = int(position["start"]), int(position["end"])
    first = len(chars[:start].encode("utf-8"))
    stop = len(chars[:end].encode("utf-8"))
    attrs: dict[str, object] = {}
    offset = 0
    for chunk, chunk_attrs in text.diff():
        if isinstance(chunk, str):
            if offset <= start < offset + len(chunk):
                attrs = dict(chunk_attrs or {})
                break
            offset += len(chunk)
    entry.update(
        resolved=True, accepted=True, resolved_by=author_of(author_id, author_name), resolved_at=now()
    )
    before = doc.get_state()
    with doc.transaction(origin="moke-suggestion"):
        if stop > first:
            del text[first:stop]
        if suggestion:
            text.insert(first, suggestion, attrs or None)
        comments_map(doc)[comment_id] = entry
    return doc.get_update(before)


def accept_on_state(state: bytes, comment_id: str, author_id: int, author_name: str) -> bytes:
    """:func:`accept_suggestion` on a document state (CPU work: callers run it in a thread)."""
    return accept_suggestion(doc_from_state(state), comment_id, author_id, author_name)
