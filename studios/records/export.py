"""Tables of the records as files: CSV that Excel opens as UTF-8 (a byte-order mark first) and XLSX.

A cell that starts like a formula (``=``, ``+``, ``-``, ``@``) is written as text, so a name typed by a
teacher cannot run in the spreadsheet of whoever opens the export (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

Cell = str | int | float | None
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def safe(value: Cell) -> Cell:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def clock(ts: float | None, tz: ZoneInfo) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S")


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows([[safe(c) for c in row] for row in rows])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    from openpyxl import Workbook  # only an export needs it (and it imports numpy when present)

    wb = Workbook(write_only=True)
    ws: Any = wb.create_sheet(title[:31] or "Sheet1")
    ws.append(list(header))
    for row in rows:
        ws.append([safe(c) for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(fmt: str, title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    return to_csv(header, rows) if fmt == "csv" else to_xlsx(title, header, rows)
