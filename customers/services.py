"""Writes on end customers: creation, recharge, credentials, suspension."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connections, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from core.errors import DomainError
from core.masking import mask_name
from core.money import as_decimal, money_display, to_ledger
from core.phones import language_for_phone, phone_normalise
from customers.models import Customer
from customers.selectors import (
    SALES_CREDIT_SHORT,
    commission_on,
    customer_by_phone,
    customer_portal_link,
    recharge_amounts,
    recharge_refusal,
    sales_credit_short_values,
)
from customers.sql import lock_accounts_statement
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import (
    IdempotencyConflict,
    InsufficientFunds,
    OperatorAccount,
    customer_account,
    customer_lower_limit,
    ledger_post,
    reseller_account,
)
from resellers.commission import AppliedRate, commission_today, plan_rate
from resellers.models import Reseller
from sms.services import message_language, message_queue

Kind = LedgerAccount.Kind


class RechargeError(DomainError):
    """A recharge that cannot be made; `str()` is a sentence for the seller."""

    code = "recharge-refused"


# A recharge refused because the seller's sales credit does not cover it (a customer's own
# payment then waits for the seller's next top-up: payments.services.customer_payments).
SALES_CREDIT_SHORT_CODE = "sales-credit-short"


class CustomerStateError(DomainError):
    """The customer is not in a state that allows the action."""

    code = "customer-state"


def password_generate() -> str:
    """A strong random password a person can type from an SMS: 12 letters and digits."""
    alphabet = string.ascii_letters + string.digits
    alphabet = "".join(ch for ch in alphabet if ch not in "0O1lI")
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def _login_email(phone: str) -> str:
    """Customers sign in with their phone; the User needs a unique e-mail that is never used."""
    return f"{phone.lstrip('+')}@customers.tessera.invalid"


@transaction.atomic(durable=True)
def customer_create(
    *,
    actor: User | None,
    reseller: Reseller,
    phone: str,
    name: str = "",
    email: str = "",
    language: str = "en",
    user: User | None = None,
) -> Customer:
    customer = Customer.objects.create(
        reseller=reseller,
        phone=phone_normalise(phone),
        name=name,
        email=email,
        language=language,
        user=user,
    )
    audit_record(actor=actor, action="customer.created", reseller=reseller, obj=customer)
    return customer


# --- Recharge ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RechargeResult:
    customer: Customer
    transaction: LedgerTransaction
    amount: Decimal
    commission: Decimal
    created: bool  # the number was new: a customer was registered
    replayed: bool  # the same form was sent before: nothing moved this time
    owned: bool  # the customer belongs to the selling reseller
    sales_credit_left: Decimal

    @property
    def display_name(self) -> str:
        return self.customer.name if self.owned else mask_name(self.customer.name)


def recharge_amount_check(*, reseller: Reseller, amount) -> Decimal:
    """The amount as a Decimal if the operator allows it for the reseller's currency."""
    try:
        value = to_ledger(as_decimal(amount))
    except ValueError as exc:
        raise RechargeError(_("Choose one of the amounts offered.")) from exc
    allowed = recharge_amounts(reseller=reseller)
    currency = str(reseller.currency)
    if value not in allowed:
        raise RechargeError(
            _("%(amount)s is not an amount you can sell; choose one of %(allowed)s.")
            % {
                "amount": money_display(value, currency),
                "allowed": ", ".join(money_display(a, currency) for a in allowed),
            }
        )
    return value


def _may_recharge(*, reseller: Reseller, customer: Customer) -> None:
    refusal = recharge_refusal(reseller=reseller, customer=customer)
    if refusal is not None:
        raise RechargeError(refusal)


def customer_recharge(
    *,
    reseller: Reseller,
    actor: User,
    phone: str,
    amount,
    idempotency_key: str,
    at: datetime | None = None,
) -> RechargeResult:
    """Sell `amount` of credit to the customer with this mobile number, registering the
    customer if the number is new. One ledger transaction of kind RECHARGE: Dr sales credit /
    Cr customer balance, and Dr commission expense / Cr commission. Sending the same
    `idempotency_key` again returns the first result and moves nothing. `at` dates the sale
    when it is not now (ledger_post's `at`: the demo's month of history).

    Raises InvalidPhoneNumber or RechargeError (not enough sales credit, amount not offered,
    customer suspended or another reseller's when that is not allowed).
    """
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    if reseller.is_blocked or reseller.status != Reseller.Status.APPROVED:
        raise RechargeError(_("Only an approved reseller can sell credit."))
    phone = phone_normalise(phone, default_region=str(reseller.country) or None)
    value = recharge_amount_check(reseller=reseller, amount=amount)
    arguments = {"reseller": reseller, "actor": actor, "phone": phone, "amount": value, "at": at}
    attempts = 3
    for attempt in range(1, attempts + 1):
        # Before the transaction opens: the look-up, and for a new number the password and
        # its hash (PBKDF2 takes a while by design; no connection waits in a transaction).
        customer = customer_by_phone(phone=phone, reseller=reseller)
        password = hashed = None
        if customer is None:
            password = password_generate()
            hashed = make_password(password)
        try:
            return _recharge(
                **arguments,
                customer=customer,
                password=password,
                hashed=hashed,
                key=f"recharge:{idempotency_key}",
            )
        except IntegrityError:
            # The number was registered by someone else a moment ago (or by this very form,
            # sent twice at once): again, now as an existing customer (or as the replay).
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


@transaction.atomic(durable=True)
def _recharge(
    *, reseller, actor, phone, amount, at, customer, password, hashed, key
) -> RechargeResult:
    """The recharge's transaction. `customer`: the one with this number, or None for a new
    number, which is registered with the password `hashed` (a hash of `password`)."""
    scope = f"reseller:{reseller.pk}"
    currency = str(reseller.currency)
    if customer is None:
        # The customer row is inserted first, so a second form for the same new number waits
        # on it, fails on the unique number and then takes the other path.
        customer = _register(reseller=reseller, phone=phone, hashed=hashed)
        balance = _balance_account_new(customer)
        sales, commission_account, _none, owed = _lock_accounts(
            reseller=reseller, customer=None, amount=amount, at=at
        )
    else:
        _may_recharge(reseller=reseller, customer=customer)
        # Lock the seller's accounts and the customer's balance in id order first: every
        # recharge of this reseller queues here. A replayed key is found by the posting
        # below, which then moves nothing and returns the first transaction.
        sales, commission_account, balance, owed = _lock_accounts(
            reseller=reseller, customer=customer, amount=amount, at=at
        )
    created = password is not None

    # The rate's rules came with the locked rows (see _lock_accounts).
    applied = _rate_applied(reseller=reseller, sales=sales, at=at)
    commission = commission_on(reseller=reseller, amount=amount, rate=applied.rate)
    legs = [(sales, -amount), (balance, amount)]
    settled = Decimal(0)
    if commission:
        legs += [
            (OperatorAccount(Kind.COMMISSION_EXPENSE), -commission),
            (commission_account, commission),
        ]
        # Commission clawed back after it was paid out is owed (customers.reversals): the
        # new commission settles it first.
        if owed is not None and owed.balance < 0:
            settled = min(commission, -owed.balance)
            legs += [(commission_account, -settled), (owed, settled)]
    try:
        txn = ledger_post(
            kind=LedgerTransaction.Kind.RECHARGE,
            currency=currency,
            legs=legs,
            idempotency_key=key,
            scope=scope,
            memo=f"Recharge of {phone}",
            actor=actor,
            reseller=reseller,
            savepoint=False,  # any error rolls the whole recharge back
            at=at,
            metadata={
                "customer_id": customer.pk,
                "phone": phone,
                "amount": str(amount),
                "commission": str(commission),
                **applied.metadata(),  # the rate and the plan (and tier) it came from
                **({"commission_owed_settled": str(settled)} if settled else {}),
            },
        )
    except InsufficientFunds as exc:
        values = sales_credit_short_values(
            available=exc.available, amount=amount, currency=currency
        )
        raise RechargeError(SALES_CREDIT_SHORT, code=SALES_CREDIT_SHORT_CODE, **values) from exc
    except IdempotencyConflict as conflict:
        # The key was used for a posting of another shape: the same form (a rate changed in
        # between) gets its first result, any other a refusal (see _replay).
        return _replay(reseller=reseller, txn=conflict.existing, phone=phone, amount=amount)
    if txn.replayed:
        return _replay(reseller=reseller, txn=txn, phone=phone, amount=amount)
    # One audit row: a new customer's registration is recorded with its first recharge.
    audit_record(
        actor=actor,
        action="customer.recharged",
        reseller=reseller,
        obj=customer,
        data={
            "transaction_id": txn.pk,
            "amount": str(amount),
            "currency": str(reseller.currency),
            "commission": str(commission),
            "new_customer": created,
            "owner_id": customer.reseller_id,
        },
    )
    _recharge_notify(
        reseller=reseller,
        customer=customer,
        amount=amount,
        balance_after=balance.balance + amount,
        created=created,
        password=password,
    )
    return RechargeResult(
        customer=customer,
        transaction=txn,
        amount=amount,
        commission=commission,
        created=created,
        replayed=False,
        owned=customer.reseller_id == reseller.pk,
        sales_credit_left=sales.balance - amount,
    )


def _lock_accounts(
    *, reseller, customer, amount, at=None, retry: bool = True
) -> tuple[LedgerAccount, LedgerAccount, LedgerAccount | None, LedgerAccount | None]:
    """Lock the reseller's sales credit and commission (and the customer's balance, and the
    reseller's commission owed if it has that account) in id order with one statement and
    return them; what is missing (the reseller's first sale, a
    customer without a balance yet) is created, then they are locked once more; still
    missing, RechargeError. Each row carries `tier_rate`, the commission tier rate for
    `amount` (None: the flat rate), and the commission plan in force on the sale's day
    (`plan_id`, `plan_from`, `plan_rate`, `plan_tiered`), read by the same statement.

    The statement is written out (customers.sql) rather than built by the ORM: every recharge
    runs it, and compiling the equivalent queryset cost more CPU than the rest of the locking."""
    sql, params = lock_accounts_statement(
        reseller_id=reseller.pk,
        customer_id=customer.pk if customer is not None else None,
        currency=str(reseller.currency),
        amount=amount,
        day=commission_today(at),
        lock_of=connections[LedgerAccount.objects.db].features.has_select_for_update_of,
    )
    rows = list(LedgerAccount.objects.raw(sql, params))
    found = {(a.owner_type, a.kind): a for a in rows}
    reseller_side = LedgerAccount.OwnerType.RESELLER
    owed = found.pop((reseller_side, Kind.COMMISSION_OWED), None)
    wanted = 3 if customer is not None else 2
    if len(found) < wanted:
        if not retry:  # created, yet not found (e.g. in another currency than the seller's)
            raise RechargeError(
                _("The accounts this sale needs could not be opened; nothing was sold.")
            )
        for kind in (Kind.SALES_CREDIT, Kind.COMMISSION):
            reseller_account(reseller=reseller, kind=kind)
        if customer is not None:
            customer_account(customer=customer)
        return _lock_accounts(
            reseller=reseller, customer=customer, amount=amount, at=at, retry=False
        )
    for account in rows:  # SQLite hands computed columns back as floats, strings and ints
        for name in ("tier_rate", "plan_rate"):
            value = getattr(account, name)
            if value is not None and not isinstance(value, Decimal):
                setattr(account, name, Decimal(str(value)))
        if isinstance(account.plan_from, str):
            account.plan_from = date.fromisoformat(account.plan_from)
    return (
        found[(reseller_side, Kind.SALES_CREDIT)],
        found[(reseller_side, Kind.COMMISSION)],
        found.get((LedgerAccount.OwnerType.CUSTOMER, Kind.BALANCE)),
        owed,
    )


def _rate_applied(*, reseller, sales: LedgerAccount, at) -> AppliedRate:
    """The commission rate of this sale from what the locking statement read with the sales
    credit (customers.selectors.commission_applied finds the same): the plan in force (its
    tier: one query for the month's sales, now that the sales credit is locked), else the
    amount tier, else the flat rate."""
    if sales.plan_id is None:
        rate = reseller.commission_rate if sales.tier_rate is None else sales.tier_rate
        return AppliedRate(rate=rate)
    return plan_rate(
        reseller=reseller,
        plan_id=sales.plan_id,
        plan_from=sales.plan_from,
        rate=sales.plan_rate,
        tiered=bool(sales.plan_tiered),
        at=at,
    )


def _balance_account_new(customer: Customer) -> LedgerAccount:
    """The balance account of a customer registered in this transaction: one INSERT (the
    same row ledger.services.customer_account would create)."""
    return LedgerAccount.objects.create(
        owner_type=LedgerAccount.OwnerType.CUSTOMER,
        customer=customer,
        reseller_id=customer.reseller_id,
        kind=Kind.BALANCE,
        currency=str(customer.reseller.currency),
        lower_limit=customer_lower_limit(customer=customer),
    )


def _register(*, reseller, phone, hashed) -> Customer:
    user = User(email=_login_email(phone), first_name=phone, password=hashed)
    user.save()
    return Customer.objects.create(
        reseller=reseller,
        phone=phone,
        user=user,
        language=language_for_phone(phone),
        password_change_required=True,
    )


def _replay(*, reseller, txn: LedgerTransaction, phone: str, amount: Decimal) -> RechargeResult:
    meta = txn.metadata
    if meta.get("phone") != phone or to_ledger(meta.get("amount", "0")) != amount:
        raise RechargeError(_("This form was already used for another recharge; start again."))
    customer = customer_by_phone(phone=phone)
    event = (
        AuditEvent.objects.filter(action="customer.recharged", data__transaction_id=txn.pk)
        .values_list("data", flat=True)
        .first()
    )
    sales = reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)
    return RechargeResult(
        customer=customer,
        transaction=txn,
        amount=amount,
        commission=to_ledger(meta.get("commission", "0")),
        created=bool(event and event.get("new_customer")),
        replayed=True,
        owned=customer.reseller_id == reseller.pk,
        sales_credit_left=sales.balance,
    )


def _recharge_notify(*, reseller, customer, amount, balance_after, created, password) -> None:
    """Queue the SMS in this transaction; the sms app sends it after commit.

    The message belongs to the customer's owner, whoever sold: it tells the balance, which
    another reseller may not see, and it shows on the owner's customer page."""
    owner = customer.reseller
    currency = str(reseller.currency)
    # The amounts are written as the message's language writes them ("10,00 €" in German).
    language = message_language(recipient=customer.phone, customer=customer)
    if created:
        template = "customer_welcome"
        context = {
            "phone": customer.phone,
            "password": password,
            "portal_url": customer_portal_link(reseller=owner),
            "reseller_name": owner.name,
        }
    else:
        template = "customer_recharged"
        context = {
            "amount": money_display(amount, currency, language=language),
            "balance": money_display(balance_after, currency, language=language),
            "reseller_name": owner.name,
        }
    message_queue(
        reseller=owner,
        recipient=customer.phone,
        template=template,
        context=context,
        customer=customer,
        language=language,
    )


# --- Credentials and status -------------------------------------------------------------------


def customer_credentials_reset(*, reseller: Reseller, actor: User, customer_id: int) -> Customer:
    """Give the customer a new random password they must change at first sign-in, and send
    it by SMS. Only the owning reseller may do it."""
    password = password_generate()
    hashed = make_password(password)
    return _credentials_reset(
        reseller=reseller, actor=actor, customer_id=customer_id, password=password, hashed=hashed
    )


@transaction.atomic(durable=True)
def _credentials_reset(*, reseller, actor, customer_id, password, hashed) -> Customer:
    customer = _lock_owned(reseller=reseller, customer_id=customer_id)
    if customer.user_id is None:
        user = User(email=_login_email(customer.phone), first_name=customer.phone, password=hashed)
        user.save()
        customer.user = user
    else:
        User.objects.filter(pk=customer.user_id).update(password=hashed)
    customer.password_change_required = True
    customer.save(update_fields=["user", "password_change_required"])
    audit_record(actor=actor, action="customer.credentials_reset", reseller=reseller, obj=customer)
    _credentials_notify(reseller=reseller, customer=customer, password=password)
    return customer


def _credentials_notify(*, reseller, customer, password) -> None:
    message_queue(
        reseller=reseller,
        recipient=customer.phone,
        template="customer_welcome",
        context={
            "phone": customer.phone,
            "password": password,
            "portal_url": customer_portal_link(reseller=reseller),
            "reseller_name": reseller.name,
        },
        customer=customer,
    )


def _lock_owned(*, reseller: Reseller, customer_id: int) -> Customer:
    try:
        return (
            Customer.objects.select_for_update(of=("self",))
            .select_related("reseller")
            .get(pk=customer_id, reseller=reseller)
        )
    except Customer.DoesNotExist as exc:
        raise Customer.DoesNotExist(f"customer {customer_id} of reseller {reseller.pk}") from exc


@transaction.atomic(durable=True)
def customer_suspend(*, reseller: Reseller, actor: User, customer_id: int) -> Customer:
    customer = _lock_owned(reseller=reseller, customer_id=customer_id)
    if customer.status == Customer.Status.SUSPENDED:
        raise CustomerStateError(_("This customer is already suspended."))
    customer.status = Customer.Status.SUSPENDED
    customer.save(update_fields=["status"])
    audit_record(actor=actor, action="customer.suspended", reseller=reseller, obj=customer)
    return customer


@transaction.atomic(durable=True)
def customer_reactivate(*, reseller: Reseller, actor: User, customer_id: int) -> Customer:
    customer = _lock_owned(reseller=reseller, customer_id=customer_id)
    if customer.status == Customer.Status.ACTIVE:
        raise CustomerStateError(_("This customer is active already."))
    customer.status = Customer.Status.ACTIVE
    customer.save(update_fields=["status"])
    audit_record(actor=actor, action="customer.reactivated", reseller=reseller, obj=customer)
    return customer


# --- Portal -----------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def customer_password_change(*, customer: Customer, new_password: str) -> Customer:
    """The customer chose their own password: the forced change is done."""
    locked = Customer.objects.select_for_update(of=("self",)).select_related("user")
    customer = locked.get(pk=customer.pk)
    customer.user.set_password(new_password)
    customer.user.save(update_fields=["password"])
    customer.password_change_required = False
    customer.save(update_fields=["password_change_required"])
    audit_record(
        actor=customer.user,
        action="customer.password_changed",
        reseller=customer.reseller,
        obj=customer,
    )
    return customer


@transaction.atomic(durable=True)
def customer_profile_update(*, customer: Customer, language: str, name: str) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    customer.language = language
    customer.name = name
    customer.save(update_fields=["language", "name"])
    if customer.user_id is not None:  # their pages follow the language they chose
        User.objects.filter(pk=customer.user_id).update(language=language)
    audit_record(
        actor=customer.user,
        action="customer.profile_updated",
        reseller=customer.reseller,
        obj=customer,
        data={"language": language},
    )
    return customer
