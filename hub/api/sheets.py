"""Figures as files for spreadsheets: CSV, with commas and decimal points or, for French
spreadsheets, semicolons and decimal commas; and an Excel workbook (.xlsx).

Text from sources goes into cells a spreadsheet might run as a formula (`=HYPERLINK(...)`, the
"CSV injection"): such text is kept as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from hub import stats

Separator = Literal["comma", "semicolon"]
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What makes a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None


def _csv_cell(value: object, decimal_comma: bool) -> object:
    if isinstance(value, float) and decimal_comma:
        return repr(value).replace(".", ",")
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value  # the spreadsheet shows it as typed and runs nothing
    return value


def csv_bytes(table: stats.Table, sep: Separator = "comma") -> bytes:
    """The table as CSV, header first; a byte-order mark so that spreadsheets read accents right."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if sep == "semicolon" else ",", lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_csv_cell(v, sep == "semicolon") for v in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode()


def _xlsx_cell(sheet, value: object) -> WriteOnlyCell:
    if isinstance(value, datetime):  # the format keeps no time zone: write the instant as text
        value = value.isoformat()
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text, even when it starts with "="
    return cell


def xlsx_bytes(sheets: dict[str, stats.Table]) -> bytes:
    """One worksheet per table (named by its key, 31 characters at most), header row first."""
    book = Workbook(write_only=True)
    for name, table in sheets.items():
        sheet = book.create_sheet(name[:31])
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
