"""A standalone UTF-8 HTML page of a lesson plan."""

from __future__ import annotations

from html import escape
from typing import Any

from collab.export.threads import ACCEPTED, HEADING, RESOLVED, SUGGEST, view
from collab.prosemirror import Node

_TAGS = {"bold": "strong", "italic": "em", "underline": "u", "strike": "s"}
_BLOCKS = {"paragraph": "p", "bulletList": "ul", "orderedList": "ol", "listItem": "li", "table": "table",
           "tableRow": "tr", "tableHeader": "th", "tableCell": "td", "blockquote": "blockquote"}  # fmt: skip

STYLE = (
    "body{font-family:'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;max-width:52em;"
    "margin:2em auto;line-height:1.7}table{border-collapse:collapse;width:100%}"
    "td,th{border:1px solid #999;padding:.3em .5em;vertical-align:top}"
    ".comments{border-top:1px solid #ccc;margin-top:2em}.resolved{color:#888}"
)


def render_nodes(nodes: list[Node]) -> str:
    out: list[str] = []
    for node in nodes:
        kind = str(node.get("type"))
        content = list(node.get("content") or [])
        attrs = node.get("attrs") or {}
        if kind == "text":
            text = escape(str(node.get("text") or ""))
            for mark in node.get("marks") or []:
                tag = _TAGS.get(str(mark.get("type")))
                if tag:
                    text = f"<{tag}>{text}</{tag}>"
            out.append(text)
        elif kind == "hardBreak":
            out.append("<br>")
        elif kind == "horizontalRule":
            out.append("<hr>")
        elif kind == "heading":
            level = max(1, min(int(attrs.get("level", 1)), 6))
            out.append(f"<h{level}>{render_nodes(content)}</h{level}>")
        else:
            tag = _BLOCKS.get(kind, "div")
            extra = ""
            if kind == "orderedList" and int(attrs.get("start") or 1) != 1:
                extra = f' start="{int(attrs["start"])}"'
            for span in ("colspan", "rowspan"):
                if kind in ("tableCell", "tableHeader") and int(attrs.get(span) or 1) > 1:
                    extra += f' {span}="{int(attrs[span])}"'
            out.append(f"<{tag}{extra}>{render_nodes(content)}</{tag}>")
    return "".join(out)


def render(title: str, doc: Node, threads: list[dict[str, Any]] | None = None) -> str:
    body = render_nodes(list(doc.get("content") or []))
    notes = ""
    if threads:
        items = []
        for t in map(view, threads):
            css = ' class="resolved"' if t.resolved else ""
            head = f"<strong>{escape(t.author)}</strong>"
            if t.where:
                head += f" 〔{escape(t.where)}〕"
            if t.quote:
                head += f" <q>{escape(t.quote)}</q>"
            if t.resolved:
                head += RESOLVED
            if t.suggestion is not None:
                head += f"{SUGGEST}<ins>{escape(t.suggestion)}</ins>" + (ACCEPTED if t.accepted else "")
            replies = "".join(
                f"<li><strong>{escape(r.author)}</strong>：{escape(r.text)}</li>" for r in t.replies
            )
            items.append(
                f"<li{css}>{head}：{escape(t.text)}" + (f"<ul>{replies}</ul>" if replies else "") + "</li>"
            )
        notes = f'<section class="comments"><h2>{HEADING}</h2><ul>{"".join(items)}</ul></section>'
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}{notes}</body></html>\n"
    )
