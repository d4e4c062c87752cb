"""Reads on end customers. Tenant reads take the reseller first."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership
from core.masking import mask_name
from core.money import Money, to_ledger, to_minor_unit
from core.net import portal_url
from customers.models import CommissionTier, Customer
from customers.sql import CUSTOMER_BY_PHONE
from ledger.models import LedgerAccount, LedgerEntry
from ledger.selectors import customer_balance_expression, reseller_balance
from resellers.commission import AppliedRate, commission_plan_rate
from resellers.models import Reseller
from resellers.selectors import active_hostname_of


def customer_list(*, reseller) -> QuerySet[Customer]:
    """The customers a reseller owns, each with its `balance` (the customer list and
    "Manage accounts")."""
    return Customer.objects.filter(reseller=reseller).annotate(
        balance=customer_balance_expression()
    )


def customer_get(*, reseller, pk: int) -> Customer:
    """One customer the reseller owns (Customer.DoesNotExist for anyone else's)."""
    return customer_list(reseller=reseller).select_related("user").get(pk=pk)


def customer_history(*, reseller, customer: Customer, limit: int = 50) -> list[LedgerEntry]:
    """The latest movements of the balance of a customer the reseller owns, newest first,
    each with the balance after it."""
    return list(
        LedgerEntry.objects.filter(
            account__customer=customer,
            account__customer__reseller=reseller,
            account__kind=LedgerAccount.Kind.BALANCE,
        )
        .select_related("transaction", "transaction__reseller")
        .order_by("-id")[:limit]
    )


def customer_by_phone(*, phone: str, reseller: Reseller | None = None) -> Customer | None:
    """The customer with this E.164 number, of any reseller (recharge looks numbers up across
    the platform; callers show another reseller's customer masked).

    With `reseller` (the seller, already loaded), the seller's own customer comes with it
    as its `reseller` instead of a second copy read by a join; another reseller's is read
    when first used. Phone numbers are unique, so there is no ordering to do."""
    if reseller is None:
        return Customer.objects.select_related("reseller").filter(phone=phone).first()
    # Written out (customers.sql): every recharge runs it, and compiling the queryset cost
    # more than running it.
    customer = next(iter(Customer.objects.raw(CUSTOMER_BY_PHONE, [phone])), None)
    if customer is not None and customer.reseller_id == reseller.pk:
        Customer.reseller.field.set_cached_value(customer, reseller)
    return customer


def customer_portal_link(*, reseller) -> str:
    """The customer portal's address for `reseller`'s customers (the welcome SMS): on the
    reseller's own active hostname, else on the portal's canonical origin."""
    return portal_url(reverse("customers:portal"), hostname=active_hostname_of(reseller=reseller))


def person_belongs_to(*, user, reseller) -> bool:
    """Whether `user` is on `reseller`'s team (an active membership) or one of its end
    customers: who may sign in on, and get links to, the reseller's own hostname. Operator
    staff belong to no reseller."""
    if user.is_staff:
        return False
    if Membership.objects.filter(user=user, reseller=reseller, is_active=True).exists():
        return True
    return Customer.objects.filter(user=user, reseller=reseller).exists()


def customer_for_user(*, user) -> Customer | None:
    """The end customer a user signs in as, with the reseller that owns it."""
    return Customer.objects.select_related("reseller").filter(user=user).first()


def portal_history(*, customer: Customer, limit: int = 50) -> list[LedgerEntry]:
    """The customer's own balance movements, newest first."""
    return list(
        LedgerEntry.objects.filter(
            account__customer=customer, account__kind=LedgerAccount.Kind.BALANCE
        )
        .select_related("transaction")
        .order_by("-id")[:limit]
    )


def portal_balance(*, customer: Customer) -> Decimal:
    balance = (
        LedgerAccount.objects.filter(customer=customer, kind=LedgerAccount.Kind.BALANCE)
        .values_list("balance", flat=True)
        .first()
    )
    return balance if balance is not None else Decimal(0)


def recharge_amounts(*, reseller) -> list[Decimal]:
    """The amounts the operator allows this reseller to sell, in its currency."""
    return [to_ledger(a) for a in settings.RECHARGE_AMOUNTS.get(str(reseller.currency), [])]


def commission_tier_rate(*, reseller_id, amount: Decimal) -> Subquery:
    """The rate of the tier that applies to a recharge of `amount` by the reseller
    `reseller_id` (an id or an OuterRef), as a scalar subquery (the rule:
    CommissionTierQuerySet.applicable); NULL when no tier applies (the reseller's flat rate
    does)."""
    tiers = CommissionTier.objects.applicable(reseller_id=reseller_id, amount=amount)
    return Subquery(
        tiers.values("rate")[:1], output_field=DecimalField(max_digits=5, decimal_places=2)
    )


def commission_applied(*, reseller, amount: Decimal, at: datetime | None = None) -> AppliedRate:
    """The commission rate (%) on a recharge of `amount` at `at` (default now), and where it
    came from: the reseller's commission plan in force that day (its tier by the month's
    sales before the sale, else its base rate); for a reseller without a plan in force, its
    own amount tier, else the operator's default tier, else its flat rate (CommissionTier).
    The recharge finds the same with its locking statement (customers.sql)."""
    applied = commission_plan_rate(reseller=reseller, at=at)
    if applied is not None:
        return applied
    rate = (
        Reseller.objects.filter(pk=reseller.pk)
        .annotate(rate=commission_tier_rate(reseller_id=reseller.pk, amount=amount))
        .values_list("rate", flat=True)
        .get()
    )
    return AppliedRate(rate=reseller.commission_rate if rate is None else rate)


def commission_rate_for(*, reseller, amount: Decimal, at: datetime | None = None) -> Decimal:
    """The commission rate (%) on a recharge of `amount` (see commission_applied)."""
    return commission_applied(reseller=reseller, amount=amount, at=at).rate


def commission_on(*, reseller, amount: Decimal, rate: Decimal | None) -> Decimal:
    """The commission on `amount` at `rate` (None: the reseller's flat rate), rounded half-up
    to the currency's minor unit."""
    rate = reseller.commission_rate if rate is None else rate
    return to_minor_unit(amount * rate / Decimal(100), str(reseller.currency))


def recharge_commission(*, reseller, amount: Decimal, at: datetime | None = None) -> Decimal:
    """The commission on a recharge of `amount`, rounded half-up to the currency's unit."""
    rate = commission_rate_for(reseller=reseller, amount=amount, at=at)
    return commission_on(reseller=reseller, amount=amount, rate=rate)


def recharge_refusal(*, reseller, customer: Customer) -> str | None:
    """Why this reseller may not recharge this customer, or None."""
    if customer.reseller_id != reseller.pk:
        if not settings.TESSERA_CROSS_RESELLER_RECHARGE:
            return _("This number is a customer of another reseller.")
        if str(customer.reseller.currency) != str(reseller.currency):
            return _("This customer's balance is in %(theirs)s; you sell in %(ours)s.") % {
                "theirs": customer.reseller.currency,
                "ours": reseller.currency,
            }
    if customer.status != Customer.Status.ACTIVE:
        return _("This customer is suspended and cannot be recharged.")
    return None


# The refusal the confirmation step shows and the recharge raises when credit ran out between.
SALES_CREDIT_SHORT = gettext_lazy(
    "Not enough sales credit: %(available)s available, %(amount)s needed. "
    "Top up your sales credit first."
)


def sales_credit_short_values(*, available: Decimal, amount: Decimal, currency: str) -> dict:
    return {
        "available": Money(available, currency),
        "amount": Money(amount, currency),
    }


def recharge_preview(*, reseller, phone: str, amount: Decimal) -> dict:
    """What a recharge would do, for the confirmation step: nothing is written."""
    customer = customer_by_phone(phone=phone)
    sales_credit = reseller_balance(reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT)
    refusal = recharge_refusal(reseller=reseller, customer=customer) if customer else None
    if reseller.status != Reseller.Status.APPROVED:
        refusal = _("Only an approved reseller can sell credit.")
    if refusal is None and sales_credit < amount:
        refusal = SALES_CREDIT_SHORT % sales_credit_short_values(
            available=sales_credit, amount=amount, currency=str(reseller.currency)
        )
    owned = customer is None or customer.reseller_id == reseller.pk
    applied = commission_applied(reseller=reseller, amount=amount)
    return {
        "phone": phone,
        "amount": amount,
        "currency": str(reseller.currency),
        "is_new": customer is None,
        "owned": owned,
        "name": (customer.name if owned else mask_name(customer.name)) if customer else "",
        "commission": commission_on(reseller=reseller, amount=amount, rate=applied.rate),
        "commission_applied": applied,
        "sales_credit": sales_credit,
        "sales_credit_left": sales_credit - amount,
        "refusal": refusal,
    }
