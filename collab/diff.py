"""What changed between two drafts, per section, as readable removed/added text (difflib)."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from collab.prosemirror import Node
from collab.sections import split_sections

CONTEXT = 12  # characters of unchanged text shown before a change


def diff_docs(old: Node, new: Node) -> list[dict[str, Any]]:
    """One entry per section that differs: ``{section, status, changes: [{before, removed, added}]}``.

    ``status`` is ``added``/``removed`` for a section only in one draft, ``changed`` otherwise. Sections are
    matched by heading text in order; a change is character-level (Chinese has no spaces between words).
    """
    old_sections = [(s.title, s.text) for s in split_sections(old)]
    new_sections = [(s.title, s.text) for s in split_sections(new)]
    result: list[dict[str, Any]] = []
    matcher = SequenceMatcher(
        None, [t for t, _ in old_sections], [t for t, _ in new_sections], autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for (title, a), (_, b) in zip(old_sections[i1:i2], new_sections[j1:j2], strict=True):
                if a != b:
                    result.append({"section": title, "status": "changed", "changes": text_changes(a, b)})
            continue
        for title, a in old_sections[i1:i2]:
            result.append({"section": title, "status": "removed", "changes": text_changes(a, "")})
        for title, b in new_sections[j1:j2]:
            result.append({"section": title, "status": "added", "changes": text_changes("", b)})
    return result


def text_changes(a: str, b: str) -> list[dict[str, str]]:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    changes: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        before = a[max(0, i1 - CONTEXT) : i1].rsplit("\n", 1)[-1]
        changes.append({"before": before, "removed": a[i1:i2], "added": b[j1:j2]})
    return changes


def diff_text(entries: list[dict[str, Any]]) -> str:
    """The diff as a few readable lines (for logs and plain-text views)."""
    lines: list[str] = []
    for entry in entries:
        lines.append(f"【{entry['section'] or '（开头）'}】{_STATUS[entry['status']]}")
        for change in entry["changes"]:
            if change["removed"]:
                lines.append(f"  - {change['removed']}")
            if change["added"]:
                lines.append(f"  + {change['added']}")
    return "\n".join(lines)


_STATUS = {"changed": "修改", "added": "新增", "removed": "删除"}
