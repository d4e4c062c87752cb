"""CAMT.053 (ISO 20022 bank-to-customer statement) reader, versions 001.02 to 001.08.

The file is read as a stream (`iterparse`), one entry (`Ntry`) at a time, each dropped once
read, so a statement of tens of thousands of entries needs little memory. It is parsed with
defusedxml and DTDs refused: a statement never declares one, and a file that does is an
attack (external entities reading local files, "billion laughs" expansion).

What we take from an entry:
- only booked entries: `<Sts>BOOK</Sts>` (up to .07) or `<Sts><Cd>BOOK</Cd></Sts>` (.08);
  pending and information-only entries are counted in `not_booked`;
- the direction from `CdtDbtInd` (CRDT: a payment to us; DBIT: reported apart);
- one line per transaction detail (`NtryDtls/TxDtls`), each with its own amount when an entry
  books several transfers together (a batch), else the entry's amount;
- the RF reference from `RmtInf/Strd/CdtrRefInf/Ref`, else from the free text (`Ustrd`);
- the payer from `RltdPties/Dbtr` (`Dbtr/Pty` in .08) and `DbtrAcct`, the ultimate debtor
  when no debtor name is given;
- the bank's id: the transaction's `AcctSvcrRef`, else its `TxId`, else the entry's
  `AcctSvcrRef` or `NtryRef` (with the transaction's number when the entry holds several).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from payments.bank.statement_lines import (
    LineBuilder,
    ParsedStatement,
    StatementError,
    structured_reference,
)

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(0[2-8])$")
OTHER_ISO20022 = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.\d{3}\.\d{3}\.\d{2})$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def parse_camt053(data: bytes) -> ParsedStatement:
    """Read a CAMT.053 statement. Raises StatementError for a file that is not one, is damaged,
    declares a DTD or entities, holds several accounts, or has an entry we cannot read."""
    if not data.strip():
        raise StatementError("empty")
    reader = _Reader()
    try:
        for event, element in iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
            reader.feed(event, element)
    except DefusedXmlException as exc:
        raise StatementError("unsafe-xml") from exc
    except ParseError as exc:
        line, column = exc.position
        raise StatementError("broken-xml", line=line, column=column) from exc
    return reader.result()


class _Reader:
    """Follows the element stack; reads the statement's own fields as they end and each entry
    as a whole when it ends."""

    def __init__(self) -> None:
        self.ns = ""
        self.version = ""
        self.stack: list[Element] = []
        self.statement_ids: list[str] = []
        self.accounts: list[str] = []
        self.builder: LineBuilder | None = None
        self.entries = 0

    def feed(self, event: str, element: Element) -> None:
        if event == "start":
            if not self.stack:
                self._root(element)
            self.stack.append(element)
            return
        self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        name = element.tag.rpartition("}")[2]
        if name == "Ntry" and parent is not None and _local(parent) == "Stmt":
            self.entries += 1
            self._entry(element, position=self.entries)
            parent.remove(element)  # read: let it go
        elif name == "Acct" and parent is not None and _local(parent) == "Stmt":
            account = self._text(element, "Id/IBAN") or self._text(element, "Id/Othr/Id")
            account = "".join(account.split()).upper()
            if account not in self.accounts:
                self.accounts.append(account)
            if len(self.accounts) > 1:
                raise StatementError("several-accounts", accounts=", ".join(self.accounts))
            self.builder = self.builder or LineBuilder(account_iban=account)
        elif name == "Id" and parent is not None and _local(parent) == "Stmt":
            self.statement_ids.append((element.text or "").strip())

    def _root(self, element: Element) -> None:
        namespace, name = "", element.tag
        if element.tag.startswith("{"):
            namespace, _, name = element.tag[1:].partition("}")
        match = NAMESPACE.match(namespace)
        if name != "Document" or not namespace:
            raise StatementError("not-a-statement")
        if match is None:
            other = OTHER_ISO20022.match(namespace)
            if other is None:
                raise StatementError("not-a-statement")
            raise StatementError("unknown-format", kind=other.group(1))
        self.ns = namespace
        self.version = match.group(1)

    def result(self) -> ParsedStatement:
        if not self.ns:
            raise StatementError("not-a-statement")
        builder = self.builder or LineBuilder(account_iban="")
        statement_id = " + ".join(dict.fromkeys(i for i in self.statement_ids if i))
        return builder.statement(format=f"camt.053.001.{self.version}", statement_id=statement_id)

    # --- one entry --------------------------------------------------------------------------

    def _path(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{step}" for step in path.split("/"))

    def _find(self, element: Element, path: str) -> Element | None:
        return element.find(self._path(path))

    def _text(self, element: Element, path: str) -> str:
        found = self._find(element, path)
        return (found.text or "").strip() if found is not None else ""

    def _entry(self, entry: Element, *, position: int) -> None:
        builder = self.builder
        if builder is None:  # an entry before the account: not a valid statement
            raise StatementError("not-a-statement")
        status = self._text(entry, "Sts/Cd") or self._text(entry, "Sts")
        if status != "BOOK":
            builder.not_booked += 1
            return
        entry_amount, entry_currency = self._amount(entry, "Amt", position)
        entry_direction = self._text(entry, "CdtDbtInd")
        if entry_direction not in ("CRDT", "DBIT"):
            raise StatementError("entry-direction", entry=position)
        booked = self._date(entry, position)
        details = entry.findall(self._path("NtryDtls/TxDtls"))
        entry_reference = self._text(entry, "AcctSvcrRef") or self._text(entry, "NtryRef")
        if not details:
            text = self._text(entry, "AddtlNtryInf")
            builder.add(
                position=position,
                booking_date=booked,
                amount=_signed(entry_amount, entry_direction),
                currency=entry_currency,
                remittance=text,
                reference=structured_reference(texts=(text,)),
                payer_name="",
                payer_iban="",
                bank_reference=entry_reference,
            )
            return
        amounts = []
        directions = []
        for detail in details:
            direction = self._text(detail, "CdtDbtInd") or entry_direction
            if direction not in ("CRDT", "DBIT"):
                raise StatementError("entry-direction", entry=position)
            directions.append(direction)
            if len(details) == 1:
                amounts.append((entry_amount, entry_currency))
                continue
            own = next(
                (p for p in ("AmtDtls/TxAmt/Amt", "Amt") if self._find(detail, p) is not None),
                None,
            )
            if own is None:
                raise StatementError("entry-split", entry=position)
            amounts.append(self._amount(detail, own, position))
        if len(details) > 1:
            # A batch: the transactions must add up to what the entry booked, or we misread it.
            pairs = zip(amounts, directions, strict=True)
            total = sum((a if d == entry_direction else -a for (a, _), d in pairs), Decimal(0))
            if {currency for _, currency in amounts} != {entry_currency} or total != entry_amount:
                raise StatementError("entry-split", entry=position)
        rows = zip(details, amounts, directions, strict=True)
        for number, (detail, (amount, currency), direction) in enumerate(rows, start=1):
            bank_reference = (
                self._text(detail, "Refs/AcctSvcrRef")
                or self._text(detail, "Refs/TxId")
                or (
                    f"{entry_reference}/{number}"
                    if entry_reference and len(details) > 1
                    else entry_reference
                )
            )
            unstructured = (
                one_text([u.text or "" for u in detail.findall(self._path("RmtInf/Ustrd"))])
                or self._text(detail, "AddtlTxInf")
                or self._text(entry, "AddtlNtryInf")
            )
            refs = [r.text or "" for r in detail.findall(self._path("RmtInf/Strd/CdtrRefInf/Ref"))]
            reference = ""
            for ref in refs:
                reference = structured_reference(structured=ref)
                if reference:
                    break
            reference = reference or structured_reference(
                texts=(unstructured, self._text(detail, "Refs/EndToEndId"))
            )
            builder.add(
                position=position,
                booking_date=booked,
                amount=_signed(amount, direction),
                currency=currency,
                remittance=unstructured,
                reference=reference,
                payer_name=self._payer_name(detail),
                payer_iban=self._text(detail, "RltdPties/DbtrAcct/Id/IBAN"),
                bank_reference=bank_reference,
            )

    def _payer_name(self, detail: Element) -> str:
        for path in (
            "RltdPties/Dbtr/Pty/Nm",  # .08
            "RltdPties/Dbtr/Nm",  # .02 to .07
            "RltdPties/UltmtDbtr/Pty/Nm",
            "RltdPties/UltmtDbtr/Nm",
        ):
            name = self._text(detail, path)
            if name:
                return name
        return ""

    def _amount(self, element: Element, path: str, position: int) -> tuple[Decimal, str]:
        found = self._find(element, path)
        text = (found.text or "").strip() if found is not None else ""
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise StatementError("entry-amount", entry=position, value=text) from None
        if not amount.is_finite() or amount < 0:
            raise StatementError("entry-amount", entry=position, value=text)
        currency = found.get("Ccy", "") if found is not None else ""
        if not CURRENCY.match(currency):
            raise StatementError("entry-currency", entry=position)
        return amount, currency

    def _date(self, entry: Element, position: int) -> date:
        for path in ("BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm"):
            text = self._text(entry, path)
            if not text:
                continue
            try:
                if path.endswith("DtTm"):
                    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
                return date.fromisoformat(text[:10])
            except ValueError:
                raise StatementError("entry-date", entry=position) from None
        raise StatementError("entry-date", entry=position)


def _local(element: Element) -> str:
    return element.tag.rpartition("}")[2]


def _signed(amount: Decimal, direction: str) -> Decimal:
    return amount if direction == "CRDT" else -amount


def one_text(parts: list[str]) -> str:
    """The unstructured remittance lines as one text."""
    return " ".join(part.strip() for part in parts if part.strip())
