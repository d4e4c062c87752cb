"""Sub-resellers and credit: the parent's policy, creating a sub-reseller, moving sales
credit down the hierarchy (and back), and staff credits and debits."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Role, User
from audit.services import audit_record, audit_record_once
from core.errors import CodedError
from core.money import Money, as_decimal, minor_digits, to_ledger, to_minor_unit
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import InsufficientFunds, OperatorAccount, ledger_post, reseller_account
from resellers.commission import commission_rate_cap, commission_today
from resellers.models import (
    MAX_SUBRESELLER_DEPTH,
    CommissionPlan,
    Reseller,
)
from resellers.selectors import subreseller_allowance
from resellers.services.commission import plan_write
from resellers.services.lifecycle import reseller_lock

# --- Sub-resellers and credit transfers --------------------------------------------------------


class SubresellerError(CodedError):
    """A sub-reseller may not be created (or a policy not set); `code` names the reason."""

    messages = {
        "flag-off": gettext_lazy(
            "The operator has not enabled sub-resellers for your company. Ask the operator's "
            "support to enable them."
        ),
        "too-deep": gettext_lazy(
            "Your company is already at the deepest level of sub-resellers the operator allows."
        ),
        "not-approved": gettext_lazy("Only an approved reseller can create sub-resellers."),
        "commission-too-high": gettext_lazy(
            "A sub-reseller earns at most your own commission rate."
        ),
        "child-too-deep": gettext_lazy(
            "The operator's depth limit does not allow this sub-reseller its own sub-resellers."
        ),
        "not-child": gettext_lazy("This is not one of your sub-resellers."),
        "bad-depth": gettext_lazy("Choose a depth limit the form offers."),
    }
    fields = {"commission-too-high": "commission_rate", "bad-depth": "subreseller_depth_limit"}


# A refused transfer or debit, told the way each page needs it (InsufficientFunds.reworded).
_PARENT_SHORT = gettext_lazy("Your sales credit is too low: %(available)s available.")
_CHILD_SHORT = gettext_lazy(
    "The sub-reseller has only %(available)s of sales credit; you cannot take back more than that."
)
_DEBIT_SHORT = gettext_lazy("The sales credit is only %(available)s; it cannot go below zero.")

# A single transfer or staff adjustment above this is a typo, not a business decision.
MAX_CREDIT_MOVE = Decimal("1000000")


class CreditAmountError(CodedError):
    """The amount (or note) of a transfer or adjustment is not acceptable."""

    messages = {
        "zero": gettext_lazy("Enter an amount other than zero."),
        "negative": gettext_lazy("Enter a positive amount; choose credit or debit above."),
        "decimals": gettext_lazy("%(currency)s amounts have at most %(places)s decimal places."),
        "too-large": gettext_lazy("That is more than one transfer may move (at most %(max)s)."),
        "note": gettext_lazy("Write a note: it shows in both resellers' history."),
        "reason": gettext_lazy("Give a reason: it is kept with the posting and in the audit log."),
        "direction": gettext_lazy("Choose credit or debit."),
    }
    fields = {
        "zero": "amount",
        "negative": "amount",
        "decimals": "amount",
        "too-large": "amount",
        "note": "note",
        "reason": "reason",
        "direction": "direction",
    }

    def __init__(self, code: str, *, currency: str = "", **params):
        places = minor_digits(currency) if currency else 2
        largest = Money(MAX_CREDIT_MOVE, currency) if currency else MAX_CREDIT_MOVE
        super().__init__(code, currency=currency, places=places, max=largest, **params)


def credit_amount_check(*, amount: Decimal, currency: str, allow_negative: bool) -> Decimal:
    """The amount as the ledger keeps it, or CreditAmountError: zero, a sign not allowed,
    more decimals than the currency has, or more than MAX_CREDIT_MOVE."""
    amount = as_decimal(amount)
    if amount == 0:
        raise CreditAmountError("zero", currency=currency)
    if amount < 0 and not allow_negative:
        raise CreditAmountError("negative", currency=currency)
    if to_minor_unit(amount, currency) != amount:
        raise CreditAmountError("decimals", currency=currency)
    if abs(amount) > MAX_CREDIT_MOVE:
        raise CreditAmountError("too-large", currency=currency)
    return to_ledger(amount)


@transaction.atomic(durable=True)
def reseller_subreseller_policy_set(
    *, reseller_id: int, actor: User, may_create: bool, depth_limit: int
) -> Reseller:
    """Staff allow (or stop) a reseller creating sub-resellers, and bound its tree's depth."""
    if not 1 <= depth_limit <= MAX_SUBRESELLER_DEPTH:
        raise SubresellerError("bad-depth")
    reseller = reseller_lock(reseller_id)
    before = {
        "may_create": reseller.may_create_subresellers,
        "depth_limit": reseller.subreseller_depth_limit,
    }
    reseller.may_create_subresellers = may_create
    reseller.subreseller_depth_limit = depth_limit
    reseller.save(update_fields=["may_create_subresellers", "subreseller_depth_limit"])
    audit_record(
        actor=actor,
        action="reseller.subreseller_policy_changed",
        reseller=reseller,
        obj=reseller,
        data={"before": before, "after": {"may_create": may_create, "depth_limit": depth_limit}},
    )
    return reseller


def _free_slug(name: str) -> str:
    base = slugify(name)[:50] or "reseller"
    taken = set(
        Reseller.objects.filter(slug__startswith=base).values_list("slug", flat=True)[:1000]
    )
    if base not in taken:
        return base
    for n in range(2, 1002):
        if f"{base}-{n}" not in taken:
            return f"{base}-{n}"
    return f"{base}-{secrets.token_hex(4)}"


@transaction.atomic(durable=True)
def subreseller_create(
    *,
    parent: Reseller,
    actor: User,
    name: str,
    legal_name: str,
    country: str,
    contact_email: str,
    commission_rate: Decimal,
    may_create_subresellers: bool = False,
) -> Reseller:
    """A reseller's Admin creates a sub-reseller under it.

    The child is approved at once: the parent vouches for it, is responsible for it towards
    the operator and funds it from its own sales credit. It sells in the parent's currency,
    earns at most the parent's commission rate in force today (its first commission plan
    starts today), and the creating Admin becomes its Admin.
    """
    parent = reseller_lock(parent.pk)
    allowance = subreseller_allowance(reseller=parent)
    if not allowance.allowed:
        raise SubresellerError(allowance.reason)
    today = commission_today()
    cap = commission_rate_cap(reseller=parent, on=today)
    if commission_rate > cap:
        raise SubresellerError("commission-too-high")
    if may_create_subresellers and not allowance.child_may_have_children:
        raise SubresellerError("child-too-deep")
    child = Reseller(
        name=name,
        legal_name=legal_name,
        slug=_free_slug(name),
        country=country,
        contact_email=contact_email,
        currency=parent.currency,
        parent=parent,
        status=Reseller.Status.APPROVED,
        approved_at=timezone.now(),
        commission_rate=commission_rate,
        may_create_subresellers=may_create_subresellers,
        subreseller_depth_limit=allowance.limit,
    )
    child.full_clean()
    child.save()
    membership = Membership.objects.create(user=actor, reseller=child, role=Role.ADMIN)
    audit_record(
        actor=actor,
        action="reseller.subreseller_created",
        reseller=parent,
        obj=child,
        data={"name": name, "commission_rate": str(commission_rate), "depth": allowance.depth + 1},
    )
    audit_record(
        actor=actor,
        action="reseller.created",
        reseller=child,
        obj=child,
        data={"status": child.status, "parent_id": parent.pk, "admin_membership": membership.pk},
    )
    plan_write(
        reseller=child,
        actor=actor,
        rate=commission_rate,
        effective_from=today,
        source=CommissionPlan.Source.PARENT,
        parent=parent,
    )
    return child


@transaction.atomic(durable=True)
def subreseller_credit_transfer(
    *,
    parent: Reseller,
    actor: User,
    child_id: int,
    amount: Decimal,
    note: str,
    idempotency_key: str,
) -> LedgerTransaction:
    """Move `amount` of sales credit from `parent` to its direct sub-reseller; a negative
    amount takes credit back, never more than the child has (InsufficientFunds).

    The note is the transaction's memo, so it shows in both accounts' histories. The same
    idempotency key posts once: a double submit returns the first transfer.
    """
    note = note.strip()
    if not note:
        raise CreditAmountError("note")
    currency = str(parent.currency)
    amount = credit_amount_check(amount=amount, currency=currency, allow_negative=True)
    child = Reseller.objects.filter(pk=child_id, parent_id=parent.pk).first()
    if child is None:
        raise SubresellerError("not-child")
    parent_credit = reseller_account(reseller=parent, kind=LedgerAccount.Kind.SALES_CREDIT)
    child_credit = reseller_account(
        reseller=child, kind=LedgerAccount.Kind.SALES_CREDIT, currency=currency
    )
    direction = "credit" if amount > 0 else "revoke"
    try:
        txn = ledger_post(
            kind=LedgerTransaction.Kind.TRANSFER,
            currency=currency,
            legs=[(parent_credit, -amount), (child_credit, amount)],
            idempotency_key=f"credit-transfer:{idempotency_key}",
            scope=f"reseller:{parent.pk}",
            memo=note,
            actor=actor,
            reseller=parent,
            metadata={
                "direction": direction,
                "from_reseller": parent.pk,
                "to_reseller": child.pk,
                "parent_name": parent.name,
                "child_name": child.name,
            },
        )
    except InsufficientFunds as exc:
        if exc.account.reseller_id == parent.pk:
            raise exc.reworded(_PARENT_SHORT) from None
        raise exc.reworded(_CHILD_SHORT) from None
    action = f"ledger.credit_{'transferred' if direction == 'credit' else 'revoked'}"
    data = {"amount": str(amount), "currency": currency, "note": note, "child": child.pk}
    if audit_record_once(actor=actor, action=action, reseller=parent, obj=txn, data=data):
        audit_record(actor=actor, action=action, reseller=child, obj=txn, data=data)
    return txn


@transaction.atomic(durable=True)
def reseller_credit_adjust(
    *,
    reseller_id: int,
    actor: User,
    direction: str,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
) -> LedgerTransaction:
    """Operator staff credit a reseller's sales credit (e.g. a bank transfer arrived:
    Dr operator bank / Cr sales credit) or debit it (the reverse, never below zero).

    Money for a reseller not yet approved goes to its pending account instead, as a top-up
    would; approval later moves pending to sales credit in full."""
    reason = reason.strip()
    if not reason:
        raise CreditAmountError("reason")
    if direction not in ("credit", "debit"):
        raise CreditAmountError("direction")
    reseller = reseller_lock(reseller_id)  # approval locks it too: never read its status stale
    currency = str(reseller.currency)
    amount = credit_amount_check(amount=amount, currency=currency, allow_negative=False)
    signed = amount if direction == "credit" else -amount
    kind = (
        LedgerAccount.Kind.PENDING
        if reseller.status == Reseller.Status.APPLIED
        else LedgerAccount.Kind.SALES_CREDIT
    )
    sales = reseller_account(reseller=reseller, kind=kind)
    try:
        txn = ledger_post(
            kind=LedgerTransaction.Kind.ADJUSTMENT,
            currency=currency,
            legs=[(OperatorAccount(LedgerAccount.Kind.BANK), -signed), (sales, signed)],
            idempotency_key=f"staff-adjust:{idempotency_key}",
            scope="operator",
            memo=reason,
            actor=actor,
            reseller=reseller,
            metadata={"direction": direction, "reason": reason, "account": kind},
        )
    except InsufficientFunds as exc:
        raise exc.reworded(_DEBIT_SHORT) from None
    audit_record_once(
        actor=actor,
        action="ledger.staff_adjusted",
        reseller=reseller,
        obj=txn,
        data={
            "direction": direction,
            "amount": str(amount),
            "currency": currency,
            "account": kind,
        },
    )
    return txn
