"""Reads on resellers. Tenant reads take the reseller first; staff reads say so in their name."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Membership
from customers.models import Customer
from ledger.models import LedgerAccount
from resellers.models import AdvertisingRequest, AuditEvent, Branding, Reseller, ResellerHostname


def _count_of(model, field: str = "reseller") -> Coalesce:
    """A correlated COUNT(*) per reseller: one index lookup a row, no fan-out join."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def sub_reseller_list(*, reseller: Reseller) -> QuerySet[Reseller]:
    """The direct sub-resellers of a reseller."""
    return Reseller.objects.children_of(reseller).annotate(customer_count=_count_of(Customer))


def reseller_dashboard_counts(*, reseller: Reseller) -> dict[str, int]:
    row = (
        Reseller.objects.filter(pk=reseller.pk)
        .annotate(
            customers_n=_count_of(Customer),
            children_n=_count_of(Reseller, "parent"),
            members_n=_count_of(Membership),
        )
        .values("customers_n", "children_n", "members_n")
        .get()
    )
    return {
        "customers": row["customers_n"],
        "sub_resellers": row["children_n"],
        "members": row["members_n"],
    }


def staff_reseller_list() -> QuerySet[Reseller]:
    """Every reseller, for operator staff."""
    return Reseller.objects.select_related("parent").annotate(
        customer_count=_count_of(Customer), member_count=_count_of(Membership)
    )


def staff_reseller_status_counts() -> dict[str, int]:
    counts = dict.fromkeys(Reseller.Status.values, 0)
    for row in Reseller.objects.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def staff_audit_event_list() -> QuerySet[AuditEvent]:
    """Every audit event, newest first, for operator staff."""
    return AuditEvent.objects.select_related("actor", "reseller")


def audit_event_list(*, reseller: Reseller) -> QuerySet[AuditEvent]:
    """The audit events of one reseller."""
    return AuditEvent.objects.filter(reseller=reseller).select_related("actor", "reseller")


# --- Branding and hostnames -------------------------------------------------------------------


def branding_for(*, reseller: Reseller) -> Branding | None:
    """The reseller's branding, or None before it saved any."""
    return Branding.objects.filter(reseller=reseller).first()


def reseller_display_name(*, reseller: Reseller) -> str:
    """The name a reseller shows to its customers (page headers, SMS sender): the branding's
    display name, else the reseller's name."""
    name = Branding.objects.filter(reseller=reseller).values_list("display_name", flat=True)
    return next(iter(name), "") or reseller.name


def reseller_sales_credit(*, reseller: Reseller) -> Decimal:
    """The reseller's sales credit in its currency (zero before any money moved)."""
    balance = LedgerAccount.objects.filter(
        owner_type=LedgerAccount.OwnerType.RESELLER,
        reseller=reseller,
        kind=LedgerAccount.Kind.SALES_CREDIT,
        currency=str(reseller.currency),
    ).values_list("balance", flat=True)
    return next(iter(balance), Decimal(0))


def hostname_for(*, reseller: Reseller) -> ResellerHostname | None:
    """The reseller's own hostname in any state, or None."""
    return (
        ResellerHostname.objects.filter(reseller=reseller).select_related("fee_transaction").first()
    )


def active_hostname_for_host(*, host: str) -> ResellerHostname | None:
    """The active reseller hostname a request's host names, with its reseller and branding
    (one query; used by resellers.hosts.ResellerHostMiddleware before any tenant is known)."""
    return (
        ResellerHostname.objects.filter(hostname=host, status=ResellerHostname.Status.ACTIVE)
        .select_related("reseller", "reseller__branding")
        .first()
    )


# --- Advertising material ---------------------------------------------------------------------


def advertising_request_list(*, reseller: Reseller) -> QuerySet[AdvertisingRequest]:
    """The reseller's own requests for advertising material, newest first."""
    return AdvertisingRequest.objects.filter(reseller=reseller).select_related("requested_by")


def advertising_request_history(
    *, reseller: Reseller, advertising_request: AdvertisingRequest
) -> QuerySet[AuditEvent]:
    """What happened to one request, oldest first (its audit rows)."""
    return (
        AuditEvent.objects.filter(
            reseller=reseller,
            object_type=AdvertisingRequest._meta.label_lower,
            object_id=str(advertising_request.pk),
        )
        .select_related("actor")
        .order_by("at", "id")
    )


def staff_advertising_request_list() -> QuerySet[AdvertisingRequest]:
    """Every reseller's requests for advertising material, for operator staff."""
    return AdvertisingRequest.objects.select_related("reseller", "requested_by")
