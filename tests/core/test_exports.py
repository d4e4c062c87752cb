"""core.exports: the one place export cells are made safe for spreadsheets."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from core.exports import cell_safe, csv_response, xlsx_response


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil.test","pay here")', "=1+1", "+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"],
)
def test_text_that_a_spreadsheet_would_run_is_quoted(text):
    assert cell_safe(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    [Decimal("-20.00"), -1, 2.5, dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4), True],
)
def test_numbers_and_dates_stay_typed(value):
    assert cell_safe(value) is value


def test_plain_text_and_empty_cells_are_unchanged():
    assert cell_safe("Jonas Weber · +49 179 1234567") == "Jonas Weber · +49 179 1234567"
    assert cell_safe("a=1") == "a=1"
    assert cell_safe(None) == ""


def test_csv_response_quotes_formulas_and_keeps_negative_numbers():
    answer = csv_response(filename="x", header=["Note", "Amount"], rows=[["-1+1", Decimal("-3")]])
    assert answer.content.decode().splitlines() == ["Note,Amount", "'-1+1,-3"]
    assert answer["Content-Disposition"] == 'attachment; filename="x.csv"'


def test_xlsx_response_writes_no_formula_even_for_text_openpyxl_would_take_for_one():
    answer = xlsx_response(
        filename="x",
        title="Sheet",
        header=["Note", "Amount"],
        rows=[["=1+1", Decimal("-3.50")], ["bell\x07", 4]],
    )
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [c.data_type for c in cells] == ["s", "s", "s", "n", "s", "n"]
    assert [c.value for c in cells] == ["Note", "Amount", "'=1+1", -3.5, "bell", 4]
