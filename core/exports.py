"""Every export (CSV, XLSX) writes its cells through here, so a spreadsheet never runs what a
customer or a note typed.

OWASP "CSV injection": a text cell starting with = + - @, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (`=HYPERLINK(...)`, `-1+1`, `@SUM(1)`).
`cell_safe` prefixes such text with a single quote; numbers (Decimal, int, float) and dates stay
typed values, so spreadsheets can still add them up. In XLSX every text cell is also stored as
a string (`data_type "s"`), never as a formula, whatever it starts with.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TYPED = (bool, int, float, Decimal, dt.date, dt.datetime, dt.time)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_safe(value):
    """One export cell: numbers and dates as they are, None as empty, everything else as text
    that no spreadsheet reads as a formula."""
    if value is None:
        return ""
    if isinstance(value, TYPED):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_response(*, filename: str, header: Sequence, rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download (UTF-8, `filename` without extension) of safe cells."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    for row in [header, *rows]:
        writer.writerow([cell_safe(value) for value in row])
    return response


def xlsx_response(
    *, filename: str, title: str, header: Sequence, rows: Iterable[Sequence]
) -> HttpResponse:
    """An XLSX download of one sheet: text cells are strings, never formulas."""
    book = Workbook()
    sheet = book.active
    sheet.title = str(title)[:31]  # Excel's limit for sheet names
    for number, row in enumerate([header, *rows], start=1):
        for column, value in enumerate(row, start=1):
            value = cell_safe(value)
            cell = sheet.cell(row=number, column=column)
            if isinstance(value, str):
                # Control characters XLSX cannot hold are dropped; the text is a string even
                # where openpyxl would take "=…" for a formula.
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = TYPE_STRING
            else:
                cell.value = value
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
