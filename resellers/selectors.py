"""Reads on resellers. Tenant reads take the reseller first; staff reads say so in their name."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from resellers.models import AuditEvent, Reseller


def sub_reseller_list(*, reseller: Reseller) -> QuerySet[Reseller]:
    """The direct sub-resellers of a reseller."""
    return Reseller.objects.children_of(reseller).annotate(
        customer_count=Count("customers", distinct=True)
    )


def reseller_dashboard_counts(*, reseller: Reseller) -> dict[str, int]:
    row = (
        Reseller.objects.filter(pk=reseller.pk)
        .annotate(
            customers_n=Count("customers", distinct=True),
            children_n=Count("children", distinct=True),
            members_n=Count("memberships", distinct=True),
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
        customer_count=Count("customers", distinct=True),
        member_count=Count("memberships", distinct=True),
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
