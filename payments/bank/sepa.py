"""SEPA credit transfer files (ISO 20022 pain.001.001.03) for commission payouts.

`credit_transfer_file` builds the file with sepaxml (the operator is the debtor, each payout
one transaction in one batch booking), lets sepaxml validate it, then checks the bytes once
more against the pain.001.001.03 XSD that sepaxml ships, with xmlschema, and reads back the
group header: the number of transactions and the control sum must be the payouts'. Pure: no
database, no network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import sepaxml
import xmlschema
from sepaxml import SepaTransfer

SCHEMA = "pain.001.001.03"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"
XSD = Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"
CURRENCY = "EUR"  # SEPA credit transfers are in euros


class SepaFileInvalid(ValueError):
    """The file failed the schema or does not add up: nothing may be stored or sent."""


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str  # at most 35 characters
    amount: Decimal  # euros, two decimals
    iban: str
    bic: str  # "" when the payee gave none
    name: str
    text: str  # unstructured remittance information, at most 140


@dataclass(frozen=True)
class SepaFile:
    message_id: str
    content: bytes
    sha256: str
    count: int
    control_sum: Decimal


@cache
def pain001_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def _cents(amount: Decimal) -> int:
    cents = amount * 100
    if cents != cents.to_integral_value() or cents <= 0:
        raise SepaFileInvalid(f"not a positive amount in cents: {amount}")
    return int(cents)


def credit_transfer_file(
    *, debtor: dict, transfers: Sequence[Transfer], execution_date: date
) -> SepaFile:
    """The pain.001.001.03 file paying `transfers` from the `debtor`'s account (a dict with
    name, iban, bic: settings.OPERATOR). SepaFileInvalid when it fails the schema."""
    if not transfers:
        raise SepaFileInvalid("a SEPA file needs at least one transfer")
    config = {
        "name": debtor["name"],
        "IBAN": debtor["iban"].replace(" ", "").upper(),
        "BIC": debtor["bic"].replace(" ", "").upper(),
        "batch": True,
        "currency": CURRENCY,
    }
    document = SepaTransfer(config, schema=SCHEMA, clean=True)
    for transfer in transfers:
        payment = {
            "name": transfer.name,
            "IBAN": transfer.iban,
            "amount": _cents(transfer.amount),
            "execution_date": execution_date,
            "description": transfer.text,
            "endtoend_id": transfer.end_to_end_id,
        }
        if transfer.bic:
            payment["BIC"] = transfer.bic
        document.add_payment(payment)
    try:
        content = document.export(validate=True)
    except sepaxml.validation.ValidationError as exc:
        raise SepaFileInvalid(str(exc.__cause__ or exc)) from exc
    count, control_sum = file_totals(content)
    expected = sum((t.amount for t in transfers), Decimal(0))
    if count != len(transfers) or control_sum != expected:
        raise SepaFileInvalid(
            f"the file says {count} transfers of {control_sum}, "
            f"the payouts are {len(transfers)} of {expected}"
        )
    return SepaFile(
        message_id=document.msg_id,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        count=count,
        control_sum=control_sum,
    )


def file_totals(content: bytes) -> tuple[int, Decimal]:
    """Validate `content` against the pain.001.001.03 XSD (SepaFileInvalid if it fails) and
    return its group header's NbOfTxs and CtrlSum."""
    errors = list(pain001_schema().iter_errors(content.decode("utf-8")))
    if errors:
        raise SepaFileInvalid(str(errors[0].reason or errors[0]))
    root = ElementTree.fromstring(content)  # noqa: S314 - our own bytes, just validated
    header = root.find(f"{{{NAMESPACE}}}CstmrCdtTrfInitn/{{{NAMESPACE}}}GrpHdr")
    return (
        int(header.findtext(f"{{{NAMESPACE}}}NbOfTxs")),
        Decimal(header.findtext(f"{{{NAMESPACE}}}CtrlSum")),
    )
