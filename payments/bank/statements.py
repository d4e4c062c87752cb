"""Bank statements in, payment lines out: the one module the import service calls.

`parse_statement` picks the reader by the file's content (XML → CAMT.053, else CSV);
`parse_camt053` and `parse_csv` read one format each. All answer a `ParsedStatement` whose
`lines` are the booked credits to match against top-ups, or raise `StatementError` with a
message staff can act on. Nothing here touches the database: the caller decides what a line
means (match by `structured_reference`, then by amount), and recognises a line imported before
by its `fingerprint` (or its `bank_reference`).

A limit on the file's size or number of lines is the caller's; the readers stream, and read
20,000 entries in well under the time of a page.
"""

from __future__ import annotations

from payments.bank.camt import parse_camt053
from payments.bank.statement_csv import parse_csv
from payments.bank.statement_lines import ParsedStatement, StatementError, StatementLine

__all__ = [
    "ParsedStatement",
    "StatementError",
    "StatementLine",
    "parse_camt053",
    "parse_csv",
    "parse_statement",
]


def parse_statement(data: bytes, *, default_currency: str = "EUR") -> ParsedStatement:
    """Read a statement in whichever supported format it is: XML as CAMT.053, else CSV."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return parse_camt053(data)
    if not head:
        raise StatementError("empty")
    if b"\x00" in data[:512] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise StatementError("not-a-statement")  # a binary file: PDF, spreadsheet, image
    try:
        return parse_csv(data, default_currency=default_currency)
    except StatementError as exc:
        if exc.code == "csv-no-header":
            raise StatementError("not-a-statement") from exc
        raise
