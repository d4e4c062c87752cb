"""What a bank statement parser answers: the lines, the statement around them, its errors.

Both readers (`camt.py` for CAMT.053 XML, `statement_csv.py` for CSV exports) build the same
`ParsedStatement`, so matching a payment to its top-up never depends on the file's format.
Import them from `payments.bank.statements`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from core.errors import CodedError
from payments.bank.reference import find_rf_references, rf_compact, rf_valid


class StatementError(CodedError):
    """A statement file we cannot read; the message says what and where (entry or line)."""

    message = _("This bank statement could not be read.")
    messages = {
        "empty": _("The file is empty."),
        "not-a-statement": _(
            "This file is not a bank statement: upload a CAMT.053 XML file or a CSV export of "
            "the bank account."
        ),
        "unknown-format": _(
            "This XML file is a %(kind)s document, not a CAMT.053 bank-to-customer statement "
            "(versions 001.02 to 001.08)."
        ),
        "broken-xml": _("The XML file is damaged near line %(line)s, column %(column)s."),
        "unsafe-xml": _(
            "The file declares a DTD or XML entities, which a bank statement never does; it was "
            "refused without being read."
        ),
        "several-accounts": _(
            "The file holds statements of several accounts (%(accounts)s): import one account "
            "at a time."
        ),
        "entry-amount": _("Entry %(entry)s has an unreadable amount: “%(value)s”."),
        "entry-currency": _("Entry %(entry)s has an amount without a valid currency."),
        "entry-date": _("Entry %(entry)s has no readable booking date."),
        "entry-direction": _("Entry %(entry)s is marked neither as a credit nor as a debit."),
        "entry-split": _(
            "Entry %(entry)s is split into transactions whose amounts do not add up to the "
            "entry's amount."
        ),
        "unreadable-text": _("The file's text is neither UTF-8 nor Windows-1252."),
        "csv-no-header": _(
            "No header row found: the CSV needs a column for the date and one for the amount "
            "(for example “Buchungstag” and “Betrag”, or “date” and “amount”)."
        ),
        "csv-amount": _("Line %(line)s has an unreadable amount: “%(value)s”."),
        "csv-date": _("Line %(line)s has an unreadable date: “%(value)s”."),
        "csv-currency": _("Line %(line)s has an unknown currency: “%(value)s”."),
    }


@dataclass(frozen=True)
class StatementLine:
    """One movement on the account. `amount` is positive for a credit (money received) and
    negative for a debit; `structured_reference` is the compact RF reference, from the
    structured field or else found in the text, "" when there is none. `bank_reference` is the
    bank's own id of the movement where the file has one. `position` is the entry (CAMT) or
    line (CSV) number in the file, for people looking it up."""

    booking_date: date
    amount: Decimal
    currency: str
    remittance: str
    structured_reference: str
    payer_name: str
    payer_iban: str
    bank_reference: str
    fingerprint: str
    position: int = 0


@dataclass(frozen=True)
class ParsedStatement:
    """A statement as read: `lines` are the booked credits (the payments to match), `debits`
    the booked debits (reported, never matched), `not_booked` counts entries left out because
    the bank had not booked them yet (pending or information only)."""

    format: str  # "camt.053.001.02" … "camt.053.001.08", or "csv"
    statement_id: str
    account_iban: str
    lines: tuple[StatementLine, ...]
    debits: tuple[StatementLine, ...] = ()
    not_booked: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)  # credits per currency


def structured_reference(*, structured: str = "", texts: tuple[str, ...] = ()) -> str:
    """The payment's RF reference: the structured field when it holds a valid one, else the
    first valid one written in the texts; "" when there is none."""
    if structured and rf_valid(structured):
        return rf_compact(structured)
    for text in texts:
        found = find_rf_references(text)
        if found:
            return found[0]
    return ""


def one_line(text: str) -> str:
    """Whitespace collapsed: banks wrap remittance text at fixed widths."""
    return " ".join(text.split())


class LineBuilder:
    """Builds a statement's lines, giving each its fingerprint and collecting the totals.

    The fingerprint is SHA-256 over what identifies a movement: the account, the booking date,
    amount and currency, the payer's IBAN, the bank's reference, the remittance text (spaces
    and case ignored) and how many identical movements came before it in the same file. Reading
    the same file twice gives the same fingerprints, so a second import is recognised even when
    the bank gives no reference; two identical payments on one day stay two lines. A CSV and a
    CAMT export of the same day differ in what they carry, so they are not recognised as the
    same by the fingerprint alone.
    """

    def __init__(self, *, account_iban: str):
        self.account_iban = account_iban
        self.lines: list[StatementLine] = []
        self.debits: list[StatementLine] = []
        self.not_booked = 0
        self._seen: Counter[str] = Counter()
        self._totals: dict[str, Decimal] = {}

    def add(
        self,
        *,
        position: int,
        booking_date: date,
        amount: Decimal,
        currency: str,
        remittance: str,
        reference: str,
        payer_name: str,
        payer_iban: str,
        bank_reference: str,
    ) -> None:
        remittance = one_line(remittance)
        payer_iban = "".join(payer_iban.split()).upper()
        identity = "\x1f".join(
            (
                "v1",
                self.account_iban,
                booking_date.isoformat(),
                f"{amount.normalize():f}",
                currency,
                payer_iban,
                bank_reference,
                "".join(remittance.split()).casefold(),
            )
        )
        occurrence = self._seen[identity]
        self._seen[identity] += 1
        digest = hashlib.sha256(f"{identity}\x1f{occurrence}".encode()).hexdigest()
        line = StatementLine(
            booking_date=booking_date,
            amount=amount,
            currency=currency,
            remittance=remittance,
            structured_reference=reference,
            payer_name=one_line(payer_name),
            payer_iban=payer_iban,
            bank_reference=bank_reference,
            fingerprint=digest,
            position=position,
        )
        if amount > 0:
            self.lines.append(line)
            self._totals[currency] = self._totals.get(currency, Decimal(0)) + amount
        elif amount < 0:
            self.debits.append(line)

    def statement(self, *, format: str, statement_id: str) -> ParsedStatement:
        return ParsedStatement(
            format=format,
            statement_id=statement_id,
            account_iban=self.account_iban,
            lines=tuple(self.lines),
            debits=tuple(self.debits),
            not_booked=self.not_booked,
            totals=dict(self._totals),
        )
