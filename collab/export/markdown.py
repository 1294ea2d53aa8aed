"""Markdown (CommonMark + GFM tables) rendering of a lesson plan."""

from __future__ import annotations

from typing import Any

from collab.export.threads import ACCEPTED, HEADING, RESOLVED, SUGGEST, view
from collab.prosemirror import Node

_WRAP = {"bold": "**", "italic": "*", "strike": "~~"}


def _escape(text: str) -> str:
    for ch in ("\\", "*", "_", "`", "~", "|", "<", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return text


def inline(nodes: list[Node]) -> str:
    out = []
    for node in nodes:
        if node.get("type") == "hardBreak":
            out.append("  \n")
            continue
        text = _escape(str(node.get("text") or ""))
        if not text:
            continue
        for mark in node.get("marks") or []:
            kind = mark.get("type")
            if kind in _WRAP:
                text = f"{_WRAP[kind]}{text}{_WRAP[kind]}"
            elif kind == "underline":
                text = f"<u>{text}</u>"
        out.append(text)
    return "".join(out)


def blocks(nodes: list[Node], indent: str = "") -> list[str]:
    lines: list[str] = []
    for node in nodes:
        kind = node.get("type")
        content = list(node.get("content") or [])
        if kind == "heading":
            level = int((node.get("attrs") or {}).get("level", 1))
            lines += [f"{'#' * max(1, min(level, 6))} {inline(content)}", ""]
        elif kind == "paragraph":
            lines += [indent + inline(content), ""] if content else [""]
        elif kind in ("bulletList", "orderedList"):
            start = int((node.get("attrs") or {}).get("start") or 1)
            for i, item in enumerate(content):
                bullet = f"{start + i}. " if kind == "orderedList" else "- "
                inner = [x for x in blocks(list(item.get("content") or []), indent + " " * len(bullet)) if x]
                first = inner[0].lstrip() if inner else ""
                lines.append(indent + bullet + first)
                lines.extend(inner[1:])
            lines.append("")
        elif kind == "table":
            lines += [*_table(content), ""]
        elif kind == "blockquote":
            lines += ["> " + x for x in blocks(content) if x] + [""]
        elif kind == "horizontalRule":
            lines += ["---", ""]
        else:
            lines += [indent + inline(content), ""]
    return lines


def _cell_text(cell: Node) -> str:
    parts = [x for x in blocks(list(cell.get("content") or [])) if x]
    return "<br>".join(parts)


def _table(rows: list[Node]) -> list[str]:
    if not rows:
        return []
    grid = [[_cell_text(c) for c in row.get("content") or []] for row in rows]
    width = max(len(r) for r in grid)
    grid = [r + [""] * (width - len(r)) for r in grid]
    lines = ["| " + " | ".join(grid[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in grid[1:]]
    return lines


def render(title: str, doc: Node, threads: list[dict[str, Any]] | None = None) -> str:
    lines = [f"# {_escape(title)}", "", *blocks(list(doc.get("content") or []))]
    if threads:
        lines += ["---", "", f"## {HEADING}", ""]
        for t in map(view, threads):
            head = f"- **{_escape(t.author)}**" + (RESOLVED if t.resolved else "")
            if t.where:
                head += f" 〔{_escape(t.where)}〕"
            if t.quote:
                head += f" “{_escape(t.quote)}”"
            if t.suggestion is not None:
                head += f"{SUGGEST}“{_escape(t.suggestion)}”" + (ACCEPTED if t.accepted else "")
            lines.append(f"{head}：{_escape(t.text)}")
            lines += [f"  - **{_escape(r.author)}**：{_escape(r.text)}" for r in t.replies]
        lines.append("")
    out: list[str] = []
    for line in lines:  # collapse runs of blank lines
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).rstrip() + "\n"
