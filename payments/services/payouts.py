"""Commission payouts: a reseller's Admin asks for commission credit to be paid to a bank
account; operator staff approve or reject; approved payouts leave in a SEPA credit transfer
file (pain.001.001.03) and are paid when staff confirm the bank executed it.

Money (ledger):
- request: Dr reseller commission / Cr operator payouts pending (`payout:<id>`), at once, so
  the credit cannot be spent or asked for twice meanwhile;
- reject: the request's posting reversed (`payout-return:<id>`): the amount is back in the
  commission credit;
- paid: Dr operator payouts pending / Cr operator bank (`payout-paid:<id>`).

Each service is one durable transaction with its audit row; rows are locked in id order;
e-mails go after the commit. The same request form posted twice makes one payout and one
posting (its one-time key is unique per reseller); confirming a file twice posts once.
SEPA is euro only: a reseller kept in another currency is told so and nothing moves.
"""

from __future__ import annotations

from decimal import Decimal

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from audit.services import audit_record
from core.money import InvalidAmount, as_decimal, money_display, to_minor_unit
from core.net import portal_url
from core.queue import enqueue_on_commit
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import reseller_balance
from ledger.services import (
    AlreadyReversed,
    InsufficientFunds,
    OperatorAccount,
    ledger_post,
    ledger_reverse,
    reseller_account,
)
from payments.bank.accounts import bank_account
from payments.bank.sepa import CURRENCY, SepaFileInvalid, Transfer, credit_transfer_file
from payments.errors import PayoutError
from payments.models import Payout, PayoutBatch
from resellers.models import Reseller

Kind = LedgerAccount.Kind
Status = Payout.Status


def payout_minimum() -> Decimal:
    return Decimal(settings.PAYOUT_MINIMUM)


def payout_currency_check(*, reseller: Reseller) -> str:
    currency = str(reseller.currency)
    if currency != CURRENCY:
        raise PayoutError("not-euro", currency=currency)
    return currency


def payout_amount(value, *, currency: str, available: Decimal) -> Decimal:
    """A positive amount with at most two decimals, at least the minimum, at most the
    commission credit `available`; else PayoutError on the amount."""
    try:
        amount = as_decimal(value)
        exact = to_minor_unit(amount, currency) == amount
    except (InvalidAmount, ArithmeticError, TypeError, ValueError):
        raise PayoutError("amount-invalid") from None
    if amount <= 0 or not exact:
        raise PayoutError("amount-invalid")
    minimum = payout_minimum()
    if amount < minimum:
        raise PayoutError("amount-below-minimum", minimum=money_display(minimum, currency))
    if amount > available:
        raise PayoutError("amount-above-credit", available=money_display(available, currency))
    return amount


def payout_request(
    *,
    reseller: Reseller,
    actor,
    amount,
    iban: str,
    bic: str,
    holder: str,
    form_key: str,
) -> Payout:
    """Ask for `amount` of commission credit to be paid to the account; it moves to payouts
    pending at once. The same form (`form_key`) sent again answers the payout it made."""
    if not form_key:
        raise ValueError("a form key is required")
    if reseller.is_blocked:
        raise PayoutError("reseller-blocked")
    currency = payout_currency_check(reseller=reseller)
    existing = Payout.objects.filter(reseller=reseller, form_key=form_key).first()
    if existing is not None:
        return existing
    available = reseller_balance(reseller=reseller, kind=Kind.COMMISSION)
    amount = payout_amount(amount, currency=currency, available=available)
    account = bank_account(iban=iban, bic=bic, holder=holder)
    try:
        return _payout_create(
            reseller=reseller,
            actor=actor,
            amount=amount,
            currency=currency,
            account=account,
            form_key=form_key,
        )
    except IntegrityError:
        # The same form, posted twice at once: the other request made the payout (its
        # insert held the unique key until it committed).
        return Payout.objects.get(reseller=reseller, form_key=form_key)


@transaction.atomic(durable=True)
def _payout_create(*, reseller, actor, amount, currency, account, form_key) -> Payout:
    payout = Payout.objects.create(
        reseller=reseller,
        requested_by=actor,
        amount=amount,
        currency=currency,
        iban=account.iban,
        bic=account.bic,
        holder=account.holder,
        form_key=form_key,
    )
    commission = reseller_account(reseller=reseller, kind=Kind.COMMISSION, currency=currency)
    try:
        txn = ledger_post(
            kind=LedgerTransaction.Kind.PAYOUT,
            currency=currency,
            legs=[(commission, -amount), (OperatorAccount(Kind.PAYOUTS_PENDING), amount)],
            idempotency_key=f"payout:{payout.pk}",
            scope=f"reseller:{reseller.pk}",
            memo=payout.reference,
            actor=actor,
            reseller=reseller,
            metadata={"payout": payout.pk},
            savepoint=False,  # a refusal rolls the whole request back
        )
    except InsufficientFunds as exc:
        raise PayoutError(
            "amount-above-credit", available=money_display(exc.available, currency)
        ) from None
    payout.request_transaction = txn
    payout.save(update_fields=["request_transaction", "updated_at"])
    audit_record(
        actor=actor,
        action="payout.requested",
        reseller=reseller,
        obj=payout,
        data={"amount": str(amount), "currency": currency, "iban": _iban_end(payout.iban)},
    )
    return payout


def _iban_end(iban: str) -> str:
    return f"{iban[:2]}…{iban[-4:]}"


def _lock(payout_id: int) -> Payout:
    return (
        Payout.objects.select_for_update(of=("self",)).select_related("reseller").get(pk=payout_id)
    )


@transaction.atomic(durable=True)
def payout_approve(*, payout_id: int, actor) -> Payout:
    """Staff approve a requested payout: it goes into the next SEPA file."""
    payout = _lock(payout_id)
    if payout.status != Status.REQUESTED:
        raise PayoutError("not-requested")
    payout.status = Status.APPROVED
    payout.decided_by = actor
    payout.decided_at = timezone.now()
    payout.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit_record(
        actor=actor,
        action="payout.approved",
        reseller=payout.reseller,
        obj=payout,
        data={"amount": str(payout.amount), "currency": payout.currency},
    )
    return payout


@transaction.atomic(durable=True)
def payout_reject(*, payout_id: int, actor, reason: str) -> Payout:
    """Staff reject a payout not yet exported, with a reason the reseller reads: the amount
    goes back to the commission credit (the request's posting reversed)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise PayoutError("reason-missing")
    payout = _lock(payout_id)
    if payout.status not in Payout.DECIDABLE:
        raise PayoutError("not-decidable")
    try:
        txn = ledger_reverse(
            transaction_id=payout.request_transaction_id,
            actor=actor,
            reason=reason[:300],
            idempotency_key=f"payout-return:{payout.pk}",
        )
    except AlreadyReversed:
        raise PayoutError("already-reversed") from None
    payout.status = Status.REJECTED
    payout.reason = reason[:300]
    payout.decided_by = actor
    payout.decided_at = timezone.now()
    payout.return_transaction = txn
    payout.save(
        update_fields=[
            "status",
            "reason",
            "decided_by",
            "decided_at",
            "return_transaction",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="payout.rejected",
        reseller=payout.reseller,
        obj=payout,
        data={"amount": str(payout.amount), "currency": payout.currency, "reason": reason},
    )
    enqueue_on_commit("payments.tasks.payout_mail", payout.pk)
    return payout


def _transfer(payout: Payout) -> Transfer:
    return Transfer(
        end_to_end_id=payout.end_to_end_id,
        amount=payout.amount,
        iban=payout.iban,
        bic=payout.bic,
        name=payout.holder,
        text=f"{settings.OPERATOR['name']} {payout.reference}"[:140],
    )


@transaction.atomic(durable=True)
def payouts_export(*, actor) -> PayoutBatch:
    """Every approved payout (in euros) in one SEPA credit transfer file, checked against
    the pain.001.001.03 schema before it is stored; the payouts are then exported."""
    payouts = list(
        Payout.objects.select_for_update()
        .filter(status=Status.APPROVED, currency=CURRENCY)
        .order_by("id")
    )
    if not payouts:
        raise PayoutError("nothing-to-export")
    today = timezone.localdate()
    try:
        sepa = credit_transfer_file(
            debtor=settings.OPERATOR,
            transfers=[_transfer(payout) for payout in payouts],
            execution_date=today,
        )
    except SepaFileInvalid as exc:
        raise PayoutError("file-invalid", detail=str(exc)) from exc
    batch = PayoutBatch.objects.create(
        message_id=sepa.message_id,
        created_by=actor,
        execution_date=today,
        count=sepa.count,
        control_sum=sepa.control_sum,
        currency=CURRENCY,
        content=sepa.content,
        sha256=sepa.sha256,
    )
    now = timezone.now()
    Payout.objects.filter(pk__in=[p.pk for p in payouts]).update(
        status=Status.EXPORTED, batch=batch, exported_at=now, updated_at=now
    )
    audit_record(
        actor=actor,
        action="payout_batch.exported",
        obj=batch,
        data={
            "count": batch.count,
            "amount": str(batch.control_sum),
            "currency": CURRENCY,
            "message_id": batch.message_id,
        },
    )
    return batch


@transaction.atomic(durable=True)
def payout_batch_confirm(*, batch_id: int, actor) -> PayoutBatch:
    """Staff confirm the bank executed the file: each of its payouts is paid (Dr payouts
    pending / Cr bank). Confirming again changes nothing."""
    batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status == PayoutBatch.Status.CONFIRMED:
        return batch
    now = timezone.now()
    payouts = (
        Payout.objects.select_for_update(of=("self",))
        .select_related("reseller")
        .filter(batch=batch, status=Status.EXPORTED)
        .order_by("id")
    )
    for payout in payouts:
        payout.paid_transaction = ledger_post(
            kind=LedgerTransaction.Kind.PAYOUT_PAID,
            currency=payout.currency,
            legs=[
                (OperatorAccount(Kind.PAYOUTS_PENDING), -payout.amount),
                (OperatorAccount(Kind.BANK), payout.amount),
            ],
            idempotency_key=f"payout-paid:{payout.pk}",
            scope=f"reseller:{payout.reseller_id}",
            memo=payout.reference,
            actor=actor,
            reseller=payout.reseller,
            metadata={"payout": payout.pk, "batch": batch.pk},
            savepoint=False,
        )
        payout.status = Status.PAID
        payout.paid_at = now
        payout.save(update_fields=["status", "paid_at", "paid_transaction", "updated_at"])
        audit_record(
            actor=actor,
            action="payout.paid",
            reseller=payout.reseller,
            obj=payout,
            data={"amount": str(payout.amount), "currency": payout.currency},
        )
        enqueue_on_commit("payments.tasks.payout_mail", payout.pk)
    batch.status = PayoutBatch.Status.CONFIRMED
    batch.confirmed_by = actor
    batch.confirmed_at = now
    batch.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    audit_record(
        actor=actor,
        action="payout_batch.confirmed",
        obj=batch,
        data={"count": batch.count, "amount": str(batch.control_sum), "currency": CURRENCY},
    )
    return batch


MAILS = {
    Status.REJECTED: "payments/email/payout_rejected",
    Status.PAID: "payments/email/payout_paid",
}


def payout_mail(*, payout_id: int) -> None:
    """Tell the reseller's contact that a payout was rejected (why) or paid, in the
    reseller's language (run by a task after the commit)."""
    payout = Payout.objects.select_related("reseller").get(pk=payout_id)
    template = MAILS.get(payout.status)
    reseller = payout.reseller
    if template is None or not reseller.contact_email:
        return
    with translation.override(reseller.language or settings.LANGUAGE_CODE):
        get_adapter().send_mail(
            template,
            reseller.contact_email,
            {
                "reseller": reseller,
                "payout": payout,
                "amount": money_display(payout.amount, payout.currency),
                "url": portal_url(reverse("payments:payout-detail", args=[payout.pk])),
            },
        )
