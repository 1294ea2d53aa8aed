"""Read and write the TipTap/ProseMirror structure of a lesson plan inside a pycrdt ``XmlFragment``.

The mapping is y-prosemirror's (what TipTap's Collaboration extension uses in the browser): a block node is
a ``Y.XmlElement`` named after the node type with the node's attributes as element attributes; the text of
a textblock is one ``Y.XmlText`` whose formatting attributes are the marks (``{"bold": {}}`` — a mark's
attributes object, as y-prosemirror writes it). Nodes cross this module as ProseMirror JSON
(``{"type": "paragraph", "content": [{"type": "text", "text": "…", "marks": [{"type": "bold"}]}]}``).
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.api import PROSEMIRROR_FIELD

Node = dict[str, Any]

MARKS = ("bold", "italic", "underline", "strike")


def fragment_of(doc: Doc) -> XmlFragment:
    """The lesson plan's fragment in ``doc`` (created empty when missing)."""
    return doc.get(PROSEMIRROR_FIELD, type=XmlFragment)


def doc_from_state(state: bytes) -> Doc:
    """A fresh pycrdt document holding ``state`` (a Yjs v1 update)."""
    doc: Doc = Doc()
    if state:
        doc.apply_update(state)
    return doc


def read_doc(doc: Doc) -> Node:
    """The whole lesson plan as a ProseMirror ``doc`` node (JSON)."""
    return {"type": "doc", "content": read_children(fragment_of(doc))}


def read_state(state: bytes) -> Node:
    return read_doc(doc_from_state(state))


def read_children(parent: XmlFragment | XmlElement) -> list[Node]:
    out: list[Node] = []
    for child in parent.children:
        if isinstance(child, XmlText):
            out.extend(_read_text(child))
        elif isinstance(child, XmlElement):
            out.append(_read_element(child))
    return out


def _read_element(el: XmlElement) -> Node:
    node: Node = {"type": el.tag or "paragraph"}
    pairs: Any = el.attributes  # pycrdt types __iter__ as Iterable; it returns an iterator
    attrs = {key: _plain(value) for key, value in pairs}
    if attrs:
        node["attrs"] = attrs
    content = read_children(el)
    if content:
        node["content"] = content
    return node


def _read_text(text: XmlText) -> list[Node]:
    out: list[Node] = []
    for chunk, attrs in text.diff():
        if not isinstance(chunk, str) or not chunk:
            continue  # embeds are not part of the lesson-plan schema
        node: Node = {"type": "text", "text": chunk}
        marks = []
        for name, value in sorted((attrs or {}).items()):
            if value is None:
                continue
            mark: Node = {"type": name}
            if isinstance(value, dict) and value:
                mark["attrs"] = {k: _plain(v) for k, v in value.items()}
            marks.append(mark)
        if marks:
            node["marks"] = marks
        out.append(node)
    return out


def _plain(value: Any) -> Any:
    # yrs stores JSON numbers as doubles; ProseMirror attributes such as heading.level are integers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write_children(parent: XmlFragment | XmlElement, nodes: list[Node]) -> None:
    """Append ``nodes`` (ProseMirror JSON) under ``parent``; call inside one transaction."""
    run: list[Node] = []
    for node in nodes:
        if node.get("type") == "text":
            run.append(node)
            continue
        if run:
            _write_text(parent, run)
            run = []
        _write_element(parent, node)
    if run:
        _write_text(parent, run)


def _write_element(parent: XmlFragment | XmlElement, node: Node) -> None:
    attrs = {k: v for k, v in (node.get("attrs") or {}).items() if v is not None}
    el = parent.children.append(XmlElement(str(node["type"]), attrs))
    write_children(el, list(node.get("content") or []))


def _write_text(parent: XmlFragment | XmlElement, run: list[Node]) -> None:
    text = parent.children.append(XmlText())
    previous: set[str] = set()
    for node in run:
        chunk = str(node.get("text") or "")
        if not chunk:
            continue
        marks = {str(m["type"]): dict(m.get("attrs") or {}) for m in node.get("marks") or []}
        attrs: dict[str, Any] = {name: None for name in previous - marks.keys()}
        attrs.update(marks)
        text.insert(len(text), chunk, attrs or None)
        previous = set(marks)


def replace_content(doc: Doc, nodes: list[Node]) -> bytes:
    """Make the fragment hold exactly ``nodes`` in one transaction; return that transaction's update."""
    fragment = fragment_of(doc)
    before = doc.get_state()
    with doc.transaction(origin="moke-replace"):
        count = len(fragment.children)
        if count:
            del fragment.children[0:count]
        write_children(fragment, nodes)
    return doc.get_update(before)


def state_with(nodes: list[Node]) -> bytes:
    """A new document's full state holding ``nodes``."""
    doc: Doc = Doc()
    fragment = fragment_of(doc)
    with doc.transaction(origin="moke-init"):
        write_children(fragment, nodes)
    return doc.get_update()
