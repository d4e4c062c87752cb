"""CSV bank statements: our simple layout and the exports German banks write.

The layout we document (a header row, then one movement per row, credits positive):

    date,amount,currency,reference,name,iban,bank_reference
    2026-11-27,119.00,EUR,RF18 5390 0754 7034,Muster GmbH,DE89370400440532013000,TX-0001

What is also read, because staff will upload whatever their bank's online banking exports:
- the header in German (Buchungstag, Betrag, Währung, Verwendungszweck, Name
  Zahlungsbeteiligter / Auftraggeber / Begünstigter/Zahlungspflichtiger, IBAN, …) or English,
  columns in any order, extra columns ignored, preamble rows above the header skipped (DKB
  and others put the account and period there);
- `;`, `,` or tab between fields;
- amounts with a decimal comma ("1.234,56") or point ("1,234.56"), a sign, a currency symbol,
  or split into debit and credit columns (Soll / Haben), or with a separate S/H column;
- dates as 2026-11-27, 27.11.2026 or 27.11.26;
- UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252;
- a status column (DKB: "Gebucht" / "Vorgemerkt"): rows not yet booked are counted, not read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from stdnum import iban

from payments.bank.statement_lines import (
    LineBuilder,
    ParsedStatement,
    StatementError,
    structured_reference,
)

# Normalised header (lower case, accents and everything but letters and digits dropped) →
# our column. Where a row has several for one of ours, the one listed first here wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "bookingdate",
        "buchungstag",
        "buchungsdatum",
        "buchung",
        "datum",
        "valutadatum",
        "wertstellung",
        "valuedate",
    ),
    "amount": ("amount", "betrag", "betrageur", "umsatz", "umsatzeur", "betragineur"),
    "credit": ("haben", "credit", "gutschrift"),
    "debit": ("soll", "debit", "lastschrift"),
    "direction": ("sollhaben", "sh", "creditdebit", "cdtdbtind"),
    "currency": ("currency", "wahrung", "waehrung", "whrg", "ccy"),
    "remittance": (
        "reference",
        "remittance",
        "remittanceinformation",
        "verwendungszweck",
        "purpose",
        "description",
        "text",
    ),
    "name": (
        "name",
        "payer",
        "payername",
        "namezahlungsbeteiligter",
        "auftraggeber",
        "auftraggeberbegunstigter",
        "begunstigterauftraggeber",
        "begunstigterzahlungspflichtiger",
        "beguenstigterzahlungspflichtiger",
        "zahlungspflichtiger",
        "zahlungspflichtige",
        "auftraggeberempfanger",
        "gegenkonto",
    ),
    "iban": (
        "iban",
        "payeriban",
        "ibanzahlungsbeteiligter",
        "kontonummeriban",
        "ibanauftraggeber",
        "ibangegenkonto",
    ),
    "bank_reference": (
        "bankreference",
        "bankreferenz",
        "transactionid",
        "buchungsreferenz",
        "referenzbank",
    ),
    "account": ("account", "accountiban", "auftragskonto", "ibanauftragskonto"),
    "status": ("status",),
}
# Alias → (our column, its rank): "Buchungstag" is the date before "Valutadatum" is.
_COLUMN_OF = {
    alias: (column, rank)
    for column, aliases in ALIASES.items()
    for rank, alias in enumerate(aliases)
}
NOT_BOOKED = frozenset({"vorgemerkt", "pending", "pdng", "nichtgebucht", "offen"})
DEBIT_MARKS = frozenset({"s", "d", "dbit", "debit", "soll", "-"})
CREDIT_MARKS = frozenset({"h", "c", "crdt", "credit", "haben", "+"})
HEADER_SEARCH_ROWS = 30
CURRENCY = re.compile(r"^[A-Z]{3}$")
_DATE_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")
# The whole part of an amount with thousands separators, by the decimal sign used.
_GROUPED = {
    ",": re.compile(r"^\d{1,3}(\.\d{3})*$"),
    ".": re.compile(r"^\d{1,3}(,\d{3})*$"),
    "": re.compile(r"^\d{1,3}([.,]\d{3})*$"),
}
_AMOUNT_CHARS = re.compile(r"[\s\u00a0\u202f'€$£]|EUR|CHF|PLN|USD|GBP", re.IGNORECASE)


def parse_csv(data: bytes, *, default_currency: str = "EUR") -> ParsedStatement:
    """Read a CSV statement (see the module's text for what is understood). Rows without a
    currency column are in `default_currency`. Raises StatementError naming the line (as a
    spreadsheet numbers it) of a date or amount it cannot read."""
    text = _decode(data)
    if not text.strip():
        raise StatementError("empty")
    delimiter, header_line, columns, preamble_iban = _find_header(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    builder: LineBuilder | None = None
    decimal_comma = delimiter == ";"
    for row in reader:
        if reader.line_num <= header_line:
            continue
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: _cell(row, index) for name, index in columns.items()}
        if builder is None:
            account = _compact_iban(cells.get("account", "")) or preamble_iban
            builder = LineBuilder(account_iban=account)
        line = reader.line_num
        if cells.get("status", "").casefold().replace(" ", "") in NOT_BOOKED:
            builder.not_booked += 1
            continue
        amount = _row_amount(cells, line=line, decimal_comma=decimal_comma)
        if amount == 0:
            continue
        currency = (cells.get("currency") or default_currency).strip().upper()
        if not CURRENCY.match(currency):
            raise StatementError("csv-currency", line=line, value=currency)
        remittance = cells.get("remittance", "")
        builder.add(
            position=line,
            booking_date=_date(cells["date"], line=line),
            amount=amount,
            currency=currency,
            remittance=remittance,
            reference=structured_reference(texts=(remittance,)),
            payer_name=cells.get("name", ""),
            payer_iban=cells.get("iban", ""),
            bank_reference=cells.get("bank_reference", "").strip(),
        )
    builder = builder or LineBuilder(account_iban=preamble_iban)
    statement_id = "csv-" + hashlib.sha256(data).hexdigest()[:16]
    return builder.statement(format="csv", statement_id=statement_id)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise StatementError("unreadable-text") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise StatementError("unreadable-text") from None


def _normalise(header: str) -> str:
    plain = unicodedata.normalize("NFKD", header.casefold())
    return "".join(c for c in plain if c.isalnum() and not unicodedata.combining(c))


def _find_header(text: str) -> tuple[str, int, dict[str, int], str]:
    """The delimiter, the header's line number, our columns' indexes and the account's IBAN
    if a row above the header names it: the header is the first row, in the first lines, that
    names a date column and an amount (or credit) column."""
    for delimiter in (";", "\t", ","):
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        preamble_iban = ""
        for row in reader:
            if reader.line_num > HEADER_SEARCH_ROWS:
                break
            ranked: dict[str, tuple[int, int]] = {}  # column → (alias rank, index)
            for index, cell in enumerate(row):
                column, rank = _COLUMN_OF.get(_normalise(cell), ("", 0))
                if column and (column not in ranked or rank < ranked[column][0]):
                    ranked[column] = (rank, index)
            if "date" in ranked and ("amount" in ranked or "credit" in ranked):
                columns = {c: i for c, (_, i) in ranked.items()}
                return delimiter, reader.line_num, columns, preamble_iban
            preamble_iban = preamble_iban or next(
                (_compact_iban(c) for c in row if iban.is_valid(c)), ""
            )
    raise StatementError("csv-no-header")


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _compact_iban(value: str) -> str:
    return "".join(value.split()).upper()


def _row_amount(cells: dict[str, str], *, line: int, decimal_comma: bool) -> Decimal:
    """The signed amount: the amount column (negative for a debit, or marked by an S/H
    column), else the credit column less the debit column."""
    if cells.get("amount", "") != "" or "credit" not in cells:
        amount = _amount(cells.get("amount", ""), line=line, decimal_comma=decimal_comma)
        mark = cells.get("direction", "").casefold()
        if mark in DEBIT_MARKS:
            amount = -abs(amount)
        elif mark in CREDIT_MARKS:
            amount = abs(amount)
        return amount
    credit = cells.get("credit", "")
    debit = cells.get("debit", "")
    value = Decimal(0)
    if credit:
        value += abs(_amount(credit, line=line, decimal_comma=decimal_comma))
    if debit:
        value -= abs(_amount(debit, line=line, decimal_comma=decimal_comma))
    return value


def _amount(raw: str, *, line: int, decimal_comma: bool) -> Decimal:
    """An amount as banks write it: "1.234,56", "1,234.56", "-12,50", "12,50-", "+5 €".

    With both separators the last one is the decimal sign. With one kind only, it is the
    decimal sign unless it occurs more than once or (in a file whose delimiter leaves the
    comma to the amounts, `decimal_comma`) it is a point followed by exactly three digits.
    """
    text = _AMOUNT_CHARS.sub("", raw)
    negative = False
    if text.endswith("-") or text.startswith("-"):
        negative = True
        text = text.strip("-")
    elif text.startswith("+"):
        text = text[1:]
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text:
        decimal = (
            "," if text.count(",") == 1 and (decimal_comma or not _thousands(text, ",")) else ""
        )
    elif "." in text:
        decimal = (
            "." if text.count(".") == 1 and not (decimal_comma and _thousands(text, ".")) else ""
        )
    else:
        decimal = ""
    grouping = _GROUPED[decimal]
    whole, _, fraction = text.partition(decimal) if decimal else (text, "", "")
    if not whole or not (whole.isdigit() or grouping.match(whole)):
        raise StatementError("csv-amount", line=line, value=raw)
    if fraction and not fraction.isdigit():
        raise StatementError("csv-amount", line=line, value=raw)
    digits = re.sub(r"[.,]", "", whole)
    try:
        amount = Decimal(f"{digits}.{fraction}" if fraction else digits)
    except InvalidOperation:
        raise StatementError("csv-amount", line=line, value=raw) from None
    return -amount if negative else amount


def _thousands(text: str, separator: str) -> bool:
    """Whether the only separator is followed by exactly three digits (1,234 or 1.234)."""
    return re.fullmatch(r"\d{1,3}" + re.escape(separator) + r"\d{3}", text) is not None


def _date(raw: str, *, line: int) -> date:
    text = raw.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text[:10]) and len(text) in (10, 19, 20, 25):
            return date.fromisoformat(text[:10])
        dotted = _DATE_DOTTED.match(text)
        if dotted:
            day, month, year = (int(part) for part in dotted.groups())
            return date(year + 2000 if year < 100 else year, month, day)
    except ValueError:
        pass
    raise StatementError("csv-date", line=line, value=raw)
