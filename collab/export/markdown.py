"""Markdown (CommonMark + GFM tables) rendering of a lesson plan."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from collab.export.threads import ACCEPTED, HEADING, RESOLVED, SUGGEST, view
from collab.prosemirror import Node

_WRAP = {"bold": "**", "italic": "*", "strike": "~~"}
_TAG = {"bold": "strong", "italic": "em", "strike": "s", "underline": "u"}
_ORDER = ("bold", "italic", "strike", "underline")  # an outer mark first, so a run spans its neighbours


def _escape(text: str) -> str:
    for ch in ("\\", "*", "_", "`", "~", "|", "<", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return text


@dataclass
class _Span:
    """One mark over a run of inline content (text and the spans nested in it)."""

    mark: str
    children: list[_Span | str] = field(default_factory=list)


def inline(nodes: list[Node]) -> str:
    """Inline content as CommonMark: a mark over neighbouring text nodes is one run, and a run whose
    edges a delimiter cannot flank (Chinese punctuation, a space, another mark) is written as HTML."""
    root = _Span("")
    stack = [root]
    for node in nodes:
        if node.get("type") == "hardBreak":
            stack[-1].children.append("  \n")
            continue
        text = _escape(str(node.get("text") or ""))
        if not text:
            continue
        marks = [m for m in _ORDER if m in {str(k.get("type")) for k in node.get("marks") or []}]
        keep = 1
        while keep < len(stack) and stack[keep].mark in marks:
            keep += 1
        del stack[keep:]
        for mark in marks:
            if mark not in {s.mark for s in stack}:
                span = _Span(mark)
                stack[-1].children.append(span)
                stack.append(span)
        stack[-1].children.append(text)
    return _render(root.children)


def _render(children: list[_Span | str], nested: bool = False) -> str:
    """``nested``: inside another mark, whose delimiter (unknown yet) is the first and last neighbour."""
    out = ""
    for i, child in enumerate(children):
        if isinstance(child, str):
            out += child
            continue
        prev = out[-1] if out else ("?" if nested else "")
        after = children[i + 1] if i + 1 < len(children) else ("?" if nested else "")
        out += _wrapped(child, prev, after[0] if isinstance(after, str) and after else "?" if after else "")
    return out


def _wrapped(span: _Span, prev: str, after: str) -> str:
    """The span's content in its mark: a delimiter where CommonMark's flanking rules let it open and close
    between ``prev`` and ``after`` ("" is the edge of the line, "?" a neighbour not known yet), else HTML."""
    inner = _render(span.children, nested=True)
    body = inner.strip()
    if not body:
        return inner
    lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()) :]
    if lead:
        prev = " "
    if trail:
        after = " "
    if span.mark in _WRAP and _flanks(body[0], prev) and _flanks(body[-1], after):
        return f"{lead}{_WRAP[span.mark]}{body}{_WRAP[span.mark]}{trail}"
    return f"{lead}<{_TAG[span.mark]}>{body}</{_TAG[span.mark]}>{trail}"


def _flanks(edge: str, outside: str) -> bool:
    """True when a delimiter between the body's ``edge`` character and ``outside`` opens (or closes)."""
    if edge.isalnum():
        return True
    if edge.isspace() or edge in "*~_" or outside == "?":
        return False
    return outside == "" or outside.isspace() or (_punctuation(outside) and outside not in "*~_")


def _punctuation(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


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
