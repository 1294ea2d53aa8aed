"""Plain text of a lesson plan and its sections (split at headings of level 1–2), for diff and comments."""

from __future__ import annotations

from dataclasses import dataclass, field

from collab.prosemirror import Node

SECTION_LEVEL = 2  # headings up to this level start a section; deeper ones stay inside it


@dataclass
class Section:
    title: str  # the heading's text; "" for content before the first heading
    index: int  # position of the heading among the fragment's top-level nodes (-1: no heading)
    nodes: list[Node] = field(default_factory=list)

    @property
    def text(self) -> str:
        return blocks_text(self.nodes)


def inline_text(node: Node) -> str:
    if node.get("type") == "text":
        return str(node.get("text") or "")
    return "".join(inline_text(child) for child in node.get("content") or [])


def blocks_text(nodes: list[Node]) -> str:
    """Readable plain text: one line per textblock, list bullets, table cells joined by `` | ``."""
    return "\n".join(_lines(nodes, ""))


def _lines(nodes: list[Node], indent: str) -> list[str]:
    lines: list[str] = []
    for node in nodes:
        kind = node.get("type")
        content = list(node.get("content") or [])
        if kind in ("bulletList", "orderedList"):
            start = int((node.get("attrs") or {}).get("start") or 1)
            for i, item in enumerate(content):
                bullet = f"{start + i}. " if kind == "orderedList" else "- "
                inner = _lines(list(item.get("content") or []), indent + "  ")
                first = inner[0].lstrip() if inner else ""
                lines.append(indent + bullet + first)
                lines.extend(inner[1:])
        elif kind == "table":
            for row in content:
                cells = [" ".join(_lines(list(c.get("content") or []), "")) for c in row.get("content") or []]
                lines.append(indent + " | ".join(cells))
        elif kind in ("blockquote", "listItem", "tableCell", "tableHeader"):
            lines.extend(_lines(content, indent))
        elif kind == "horizontalRule":
            lines.append(indent + "---")
        else:
            lines.append(indent + inline_text(node))
    return lines


def is_section_heading(node: Node) -> bool:
    if node.get("type") != "heading":
        return False
    level = (node.get("attrs") or {}).get("level", 1)
    return int(level) <= SECTION_LEVEL


def split_sections(doc: Node) -> list[Section]:
    """The document's sections in order; content before the first heading is a section titled ""."""
    sections: list[Section] = []
    current = Section("", -1)
    for i, node in enumerate(doc.get("content") or []):
        if is_section_heading(node):
            if current.nodes or current.index >= 0:
                sections.append(current)
            current = Section(inline_text(node).strip(), i)
        else:
            current.nodes.append(node)
    if current.nodes or current.index >= 0:
        sections.append(current)
    return sections


def plain_text(doc: Node) -> str:
    """The whole document as text, headings included."""
    return blocks_text(list(doc.get("content") or []))
