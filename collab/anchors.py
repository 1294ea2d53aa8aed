"""Yjs relative positions for text in the lesson plan's ``XmlText`` nodes, made and resolved on the server.

A comment's range is two relative positions, encoded exactly like ``Y.encodeRelativePosition``: the start
sticks to the first character of the range, the end to the last one (both assoc 0, as y-prosemirror makes
them), so text typed before or after the range never moves it and text typed inside it grows it. The browser turns them into
ProseMirror positions with y-prosemirror's ``relativePositionToAbsolutePosition``.

pycrdt has no sticky index for ``XmlText`` (only ``Text``/``Array``) and does not expose item ids, so we
learn the id of each character by a probe: on a throw-away copy of the document we insert one character in
front of every character in a single transaction; each probe item's right origin (in the v1 update
encoding) is the id of the original character it was inserted before.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.prosemirror import fragment_of

PROBE_CLIENT = 0x7FFF_FFF1  # never used by a real peer: the copy is thrown away


@dataclass(frozen=True)
class ItemId:
    client: int
    clock: int


class Reader:
    """lib0 decoding (varuint, varint, varstring) over bytes; raises ValueError when truncated."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise ValueError("unexpected end of data")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def var_uint(self) -> int:
        value, shift = 0, 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value
            if shift > 70:
                raise ValueError("varuint too long")

    def var_int(self) -> int:
        b = self.byte()
        value = b & 0x3F
        negative = bool(b & 0x40)
        shift = 6
        while b & 0x80:
            b = self.byte()
            value |= (b & 0x7F) << shift
            shift += 7
            if shift > 70:
                raise ValueError("varint too long")
        return -value if negative else value

    def var_string(self) -> str:
        n = self.var_uint()
        if self.pos + n > len(self.data):
            raise ValueError("unexpected end of data")
        s = self.data[self.pos : self.pos + n].decode("utf-8")
        self.pos += n
        return s


def write_var_uint(out: bytearray, value: int) -> None:
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)


def write_var_int(out: bytearray, value: int) -> None:
    negative = value < 0
    value = abs(value)
    out.append((0x80 if value > 0x3F else 0) | (0x40 if negative else 0) | (value & 0x3F))
    value >>= 6
    while value > 0:
        out.append((0x80 if value > 0x7F else 0) | (value & 0x7F))
        value >>= 7


def encode_relative_position(item: ItemId, assoc: int) -> bytes:
    """``Y.encodeRelativePosition`` of a position attached to ``item`` (kind 0: item id, then assoc)."""
    out = bytearray([0])
    write_var_uint(out, item.client)
    write_var_uint(out, item.clock)
    write_var_int(out, assoc)
    return bytes(out)


def decode_relative_position(data: bytes) -> tuple[ItemId, int]:
    """The item and assoc of an encoded relative position; ValueError unless it is attached to an item."""
    r = Reader(data)
    kind = r.var_uint()
    if kind != 0:
        raise ValueError("relative position must be attached to a character")
    item = ItemId(r.var_uint(), r.var_uint())
    assoc = r.var_int() if r.pos < len(data) else 0
    return item, assoc


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueError("anchor must be base64") from None


def _probe_right_origins(update: bytes) -> list[ItemId | None]:
    """Right origins of the items (all one-character strings) of a probe transaction, in clock order."""
    r = Reader(update)
    out: list[ItemId | None] = []
    for _ in range(r.var_uint()):
        count = r.var_uint()
        r.var_uint()  # client
        r.var_uint()  # first clock
        for _ in range(count):
            info = r.byte()
            kind = info & 0x1F
            if kind in (0, 10):  # GC / Skip
                r.var_uint()
                continue
            right: ItemId | None = None
            if info & 0x80:
                r.var_uint(), r.var_uint()
            if info & 0x40:
                right = ItemId(r.var_uint(), r.var_uint())
            if not info & 0xC0:
                if r.var_uint() == 1:
                    r.var_string()
                else:
                    r.var_uint(), r.var_uint()
                if info & 0x20:
                    r.var_string()
            if kind == 6:  # a format boundary yrs added: not a probe
                r.var_string(), r.var_string()
                continue
            if kind != 4:
                raise ValueError(f"unexpected content {kind} in probe update")
            r.var_string()
            out.append(right)
    return out


def text_nodes(doc: Doc) -> list[tuple[tuple[int, ...], XmlText]]:
    """Every XmlText of the lesson plan in document order, with its child-index path from the fragment."""
    out: list[tuple[tuple[int, ...], XmlText]] = []

    def walk(node: XmlFragment | XmlElement, path: tuple[int, ...]) -> None:
        for i, child in enumerate(node.children):
            if isinstance(child, XmlText):
                out.append(((*path, i), child))
            elif isinstance(child, XmlElement):
                walk(child, (*path, i))

    walk(fragment_of(doc), ())
    return out


@dataclass
class TextMap:
    """Item ids of every visible character of the lesson plan, and the way back."""

    paths: list[tuple[int, ...]]
    strings: list[str]
    ids: list[list[ItemId]]
    where: dict[ItemId, tuple[int, int]]  # item -> (text number, character index)

    def locate(self, item: ItemId) -> tuple[int, int] | None:
        return self.where.get(item)


def text_string(text: XmlText) -> str:
    """The characters of ``text`` (``str(XmlText)`` renders formatting as tags)."""
    return "".join(chunk for chunk, _ in text.diff() if isinstance(chunk, str))


def _char_attrs(text: XmlText) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for chunk, attrs in text.diff():
        if isinstance(chunk, str):
            out.extend([dict(attrs or {})] * len(chunk))
    return out


def text_map(doc: Doc, only: set[int] | None = None) -> TextMap:
    """Probe ``doc`` (on a copy) for the item id of every character of its text nodes (or of ``only``).

    Cost grows with the square of one text node's length (yrs walks a node's items from its start), which
    is fine for lesson plans: many short paragraphs and cells.
    """
    copy: Doc = Doc(client_id=PROBE_CLIENT)
    copy.apply_update(doc.get_update())
    texts = text_nodes(copy)
    strings = [text_string(t) for _, t in texts]
    before = copy.get_state()
    order: list[tuple[int, int]] = []
    with copy.transaction():
        for n, (_, text) in enumerate(texts):
            if only is not None and n not in only:
                continue
            s = strings[n]
            attrs = _char_attrs(text)
            offsets = [0]
            for ch in s:
                offsets.append(offsets[-1] + len(ch.encode("utf-8")))
            for i in range(len(s) - 1, -1, -1):
                # Same formatting as the character it precedes: no format items, so the probe's right
                # origin is that character and not a formatting boundary.
                text.insert(offsets[i], "x", attrs[i] or None)
                order.append((n, i))
    rights = _probe_right_origins(copy.get_update(before)) if order else []
    if len(rights) != len(order):
        raise ValueError("probe update does not match the probes")
    ids: list[list[ItemId]] = [[] if only is not None and n not in only else [ItemId(0, 0)] * len(s)
                               for n, s in enumerate(strings)]  # fmt: skip
    where: dict[ItemId, tuple[int, int]] = {}
    for (n, i), right in zip(order, rights, strict=True):
        if right is None:
            raise ValueError("probe without right origin")
        ids[n][i] = right
        where[right] = (n, i)
    return TextMap([p for p, _ in texts], strings, ids, where)
