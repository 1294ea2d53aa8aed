"""The evaluation report as one self-contained HTML page (charts embedded as data: URIs)."""

from __future__ import annotations

import base64
from html import escape

from evaluation.labels import t
from evaluation.report import Report, Table

STYLE = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:2em auto;max-width:60em;color:#222;line-height:1.5}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #bbb;padding:.3em .5em;
text-align:left;vertical-align:top}th{background:#f0f0f0;white-space:nowrap}img{max-width:100%}img.half{max-width:28em}.meta{color:#555}
@page{size:A4;margin:16mm 14mm}@media print{body{margin:0;max-width:none}h2,h3{break-after:avoid}img{break-inside:avoid}}
"""


def _row(cells: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{escape(c)}</{tag}>" for c in cells) + "</tr>"


def _table(table: Table) -> str:
    body = "".join(_row(r) for r in table.rows)
    return f"<table><thead>{_row(table.head, 'th')}</thead><tbody>{body}</tbody></table>"


def render(report: Report) -> bytes:
    r = report
    meta = " · ".join(escape(x) for x in (f"{t('room')}：{r.room_title}", *r.meta()))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(t('report_title'))} · {escape(r.room_title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(t('report_title'))}</h1>",
        f'<p class="meta">{meta}</p>',
    ]
    if r.anonymous:
        parts.append(f"<p>{escape(t('anonymous_note'))}</p>")
    parts.append(f"<h2>{escape(t('summary'))}</h2>")
    parts.append(_table(r.summary_table()))
    parts.append(_table(r.criteria_table()))
    parts.append(f"<h2>{escape(t('charts'))}</h2>")
    for name, png in r.charts.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<p><img alt="{escape(name)}" src="data:image/png;base64,{data}"></p>')
    parts.append(f"<h2>{escape(t('comments'))}</h2>")
    for i, e in enumerate(r.evaluations):
        parts.append(f"<h3>{escape(r.observer(i, e))}</h3>")
        parts.append(_table(r.scores_table(e)))
        if e.comment:
            parts.append(f"<p><b>{escape(t('overall_comment'))}：</b>{escape(e.comment)}</p>")
    if r.observations:
        parts.append(f"<h2>{escape(t('observation'))}</h2>")
    for a in r.observations:
        parts.append(f"<h3>{escape(a.instrument.name)}</h3>")
        parts.append(f'<p class="meta">{" · ".join(escape(x) for x in r.observation_meta(a))}</p>')
        parts.append(_table(r.observation_table(a)))
        for name, png in r.observation_charts.get(a.run.id, {}).items():
            data = base64.b64encode(png).decode("ascii")
            parts.append(f'<p><img class="half" alt="{escape(name)}" src="data:image/png;base64,{data}"></p>')
    parts.append(f"<h2>{escape(t('notes'))}</h2>")
    parts.append(_table(r.notes_table()))
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")
