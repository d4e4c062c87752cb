"""What people do to the ledger directly: operator staff reverse a transaction, a reseller
moves commission credit to sales credit. Each is one audited, idempotent posting through
`ledger.services`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, audit_record_once
from core.money import InvalidAmount, as_decimal, minor_digits, to_minor_unit
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import (
    InsufficientFunds,
    LedgerError,
    ledger_post,
    ledger_reverse,
    reseller_account,
)

Kind = LedgerAccount.Kind


@transaction.atomic(durable=True)
def ledger_transaction_reverse(*, transaction_id: int, actor, reason: str) -> LedgerTransaction:
    """Staff action: reverse a transaction with a reason, audited in the same transaction."""
    reason = reason.strip()
    if not reason:
        raise LedgerError(_("Give a reason for the reversal."), field="reason")
    reversal = ledger_reverse(transaction_id=transaction_id, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="ledger.reversed",
        reseller=reversal.reseller,
        obj=reversal,
        data={"reverses": transaction_id, "reason": reason},
    )
    return reversal


OVER_COMMISSION = _("You can transfer at most %(available)s of commission credit.")


class InvalidTransferAmount(LedgerError):
    """The amount is not a positive amount in the currency's minor unit."""

    code = "invalid-amount"
    field = "amount"
    message = _("Enter an amount greater than zero.")


def transfer_amount(value: Decimal | int | str, currency: str) -> Decimal:
    """A positive amount with no more decimals than the currency has, or InvalidTransferAmount."""
    try:
        amount = as_decimal(value)
    except InvalidAmount as exc:
        raise InvalidTransferAmount(_("Enter an amount, e.g. 10.00.")) from exc
    if amount <= 0:
        raise InvalidTransferAmount()
    try:
        exact = to_minor_unit(amount, currency) == amount
    except InvalidOperation:  # too many digits to be money
        raise InvalidTransferAmount(_("Enter an amount, e.g. 10.00.")) from None
    if not exact:
        raise InvalidTransferAmount(
            _("%(currency)s amounts have at most %(places)s decimal places."),
            currency=currency,
            places=minor_digits(currency),
        )
    return amount


@transaction.atomic(durable=True)
def commission_transfer(
    *,
    reseller,
    actor,
    amount: Decimal | int | str,
    idempotency_key: str,
    at: datetime | None = None,
) -> LedgerTransaction:
    """Move commission credit to sales credit (Dr commission / Cr sales credit), posted once
    per idempotency key and audited in the same transaction. Refused with InsufficientFunds
    when the commission credit does not cover the amount."""
    currency = str(reseller.currency)
    amount = transfer_amount(amount, currency)
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    mine = LedgerAccount.objects.filter(
        owner_type=LedgerAccount.OwnerType.RESELLER,
        reseller=reseller,
        currency=currency,
        kind__in=(Kind.COMMISSION, Kind.SALES_CREDIT),
    )
    accounts = {account.kind: account for account in mine}
    commission = accounts.get(Kind.COMMISSION) or reseller_account(
        reseller=reseller, kind=Kind.COMMISSION
    )
    sales = accounts.get(Kind.SALES_CREDIT) or reseller_account(
        reseller=reseller, kind=Kind.SALES_CREDIT
    )
    try:
        txn = ledger_post(
            kind=LedgerTransaction.Kind.COMMISSION_TRANSFER,
            currency=currency,
            legs=[(commission, -amount), (sales, amount)],
            idempotency_key=f"commission-transfer:{idempotency_key}",
            scope=f"reseller:{reseller.pk}",
            memo="Commission credit to sales credit",
            actor=actor,
            reseller=reseller,
            metadata={"amount": str(amount)},
            at=at,
        )
    except InsufficientFunds as exc:
        raise exc.reworded(OVER_COMMISSION) from None
    audit_record_once(
        actor=actor,
        action="ledger.commission_transferred",
        reseller=reseller,
        obj=txn,
        data={"amount": str(amount), "currency": currency},
    )
    return txn
