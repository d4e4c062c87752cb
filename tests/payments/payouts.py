"""What the payout tests share: a reseller with commission credit, and the balances."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4
from xml.etree import ElementTree

from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import operator_balance, reseller_balance
from ledger.services import OperatorAccount, ledger_post, reseller_account
from ledger.verify import ledger_verify
from payments.bank.sepa import NAMESPACE

Kind = LedgerAccount.Kind

# Valid IBANs (checksums right) and BICs of the same countries.
IBAN_DE = "DE02 1203 0000 0000 2020 51"
BIC_DE = "BYLADEM1001"
IBAN_FR = "FR14 2004 1010 0505 0001 3M02 606"
BIC_FR = "PSSTFRPP"
IBAN_NL = "NL91ABNA0417164300"


def earn_commission(reseller, amount: str) -> LedgerTransaction:
    """Commission as a recharge books it: Dr operator commission expense / Cr commission."""
    return ledger_post(
        kind=LedgerTransaction.Kind.COMMISSION,
        currency=str(reseller.currency),
        legs=[
            (OperatorAccount(Kind.COMMISSION_EXPENSE), "-" + amount),
            (reseller_account(reseller=reseller, kind=Kind.COMMISSION), amount),
        ],
        idempotency_key=f"test-commission-{uuid4()}",
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
        memo="Commission",
    )


def commission(reseller) -> Decimal:
    return reseller_balance(reseller=reseller, kind=Kind.COMMISSION)


def pending(currency: str = "EUR") -> Decimal:
    return operator_balance(kind=Kind.PAYOUTS_PENDING, currency=currency)


def bank(currency: str = "EUR") -> Decimal:
    return operator_balance(kind=Kind.BANK, currency=currency)


def postings(kind: str) -> int:
    return LedgerTransaction.objects.filter(kind=kind).count()


def assert_ledger_clean() -> None:
    report = ledger_verify()
    assert report.clean, report.violations


def header_totals(content: bytes) -> tuple[int, Decimal]:
    """NbOfTxs and CtrlSum of the group header, read from the XML."""
    root = ElementTree.fromstring(content)  # noqa: S314 - our own test file
    header = root.find(f"{{{NAMESPACE}}}CstmrCdtTrfInitn/{{{NAMESPACE}}}GrpHdr")
    return int(header.findtext(f"{{{NAMESPACE}}}NbOfTxs")), Decimal(
        header.findtext(f"{{{NAMESPACE}}}CtrlSum")
    )


def transactions(content: bytes) -> dict[str, Decimal]:
    """EndToEndId → InstdAmt of every transaction in the file."""
    root = ElementTree.fromstring(content)  # noqa: S314 - our own test file
    ns = {"p": NAMESPACE}
    return {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns): Decimal(
            tx.findtext("p:Amt/p:InstdAmt", namespaces=ns)
        )
        for tx in root.iterfind(".//p:CdtTrfTxInf", ns)
    }
