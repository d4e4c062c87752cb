"""Reads on resellers. Tenant reads take the reseller first; staff reads say so in their name."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Membership
from customers.models import Customer
from resellers.models import AuditEvent, Reseller


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
