"""Reads on resellers. Tenant reads take the reseller first; staff reads say so in their name."""

from __future__ import annotations

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Membership
from customers.models import Customer
from resellers.models import AuditEvent, Reseller, TermsAcceptance, TermsDocument, VatCheck


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
    return Reseller.objects.select_related("parent", "vat_check").annotate(
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


# --- Applications and terms -------------------------------------------------------------------


def terms_current() -> TermsDocument | None:
    """The reseller terms in force: the newest published version."""
    return TermsDocument.objects.order_by("-version").first()


def staff_terms_list() -> QuerySet[TermsDocument]:
    return TermsDocument.objects.select_related("published_by").annotate(
        acceptance_count=_count_of(TermsAcceptance, "terms")
    )


def staff_application_list() -> QuerySet[Reseller]:
    """Every direct application (any status) with its current VIES check, oldest first."""
    return (
        Reseller.objects.filter(parent__isnull=True)
        .select_related("vat_check")
        .order_by("created_at", "id")
    )


def staff_application_overdue_list(*, now: datetime, days: int) -> QuerySet[Reseller]:
    """Applications still waiting after `days` days."""
    return staff_application_list().filter(
        status=Reseller.Status.APPLIED, created_at__lte=now - timedelta(days=days)
    )


def application_detail(*, reseller: Reseller) -> dict:
    """What an applicant sees about its own application."""
    acceptance = (
        TermsAcceptance.objects.filter(reseller=reseller)
        .select_related("terms", "user")
        .order_by("-accepted_at", "-id")
        .first()
    )
    return {
        "vat_check": reseller.vat_check,
        "acceptance": acceptance,
    }


def staff_application_detail(*, reseller: Reseller) -> dict:
    acceptances = list(
        TermsAcceptance.objects.filter(reseller=reseller)
        .select_related("terms", "user")
        .order_by("-accepted_at", "-id")
    )
    checks = list(VatCheck.objects.filter(reseller=reseller).order_by("-created_at", "-id")[:10])
    applicant = (
        Membership.objects.filter(reseller=reseller, role="admin")
        .select_related("user")
        .order_by("id")
        .first()
    )
    verified = (
        applicant is not None
        and EmailAddress.objects.filter(user=applicant.user, verified=True).exists()
    )
    return {
        "acceptances": acceptances,
        "checks": checks,
        "applicant": applicant.user if applicant else None,
        "email_verified": verified,
    }
