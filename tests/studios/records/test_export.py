"""CSV with a BOM for Excel, XLSX readable by openpyxl, formula-like cells kept as text."""

from __future__ import annotations

import io

import openpyxl

from studios.records.export import to_csv, to_xlsx


def test_csv_starts_with_a_bom_and_escapes_formulas() -> None:
    body = to_csv(["姓名", "学时"], [["=1+1", 1.5], ["王老师", None]])
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines() == ["姓名,学时", "'=1+1,1.5", "王老师,"]


def test_xlsx_opens_with_openpyxl() -> None:
    body = to_xlsx("研修记录", ["姓名", "学时"], [["@SUM(A1)", 2.0]])
    sheet = openpyxl.load_workbook(io.BytesIO(body))["研修记录"]
    assert list(sheet.iter_rows(values_only=True)) == [("姓名", "学时"), ("'@SUM(A1)", 2.0)]
