"""Reads on resellers. Tenant reads take the reseller first; staff reads say so in their name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Membership
from audit.models import AuditEvent
from ledger.models import LedgerAccount
from ledger.selectors import reseller_balance_expression
from resellers.commission import commission_today
from resellers.models import (
    MAX_SUBRESELLER_DEPTH,
    AdvertisingRequest,
    Branding,
    CommissionPlan,
    Reseller,
    ResellerHostname,
    TermsAcceptance,
    TermsDocument,
)
from tax.models import VatCheck


def _count_of(relation: str, model=Reseller) -> Coalesce:
    """A correlated COUNT, per row of `model`, of a reverse relation (`customers`,
    `memberships`, `children` of a reseller): one index look-up a row, no fan-out join over
    the list. The relation is named, not imported: the apps that own those models sit above
    this one."""
    counted = model.objects.filter(pk=OuterRef("pk")).annotate(n=Count(relation)).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def commission_in_force() -> Coalesce:
    """A reseller row's commission rate today: its plan in force, else its flat rate."""
    plan = CommissionPlan.objects.in_force(reseller_id=OuterRef("pk"), on=commission_today())
    return Coalesce(
        Subquery(plan.values("rate")[:1]),
        F("commission_rate"),
        output_field=DecimalField(max_digits=5, decimal_places=2),
    )


def sub_reseller_list(*, reseller: Reseller) -> QuerySet[Reseller]:
    """The direct sub-resellers of a reseller, each with its commission rate in force."""
    return Reseller.objects.children_of(reseller).annotate(
        customer_count=_count_of("customers"), commission_in_force=commission_in_force()
    )


def reseller_dashboard_counts(*, reseller: Reseller) -> dict[str, int]:
    row = (
        Reseller.objects.filter(pk=reseller.pk)
        .annotate(
            customers_n=_count_of("customers"),
            children_n=_count_of("children"),
            members_n=_count_of("memberships"),
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
        customer_count=_count_of("customers"),
        member_count=_count_of("memberships"),
        commission_in_force=commission_in_force(),
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


def terms_not_accepted_count(*, terms: TermsDocument) -> int:
    """Approved resellers that have not accepted `terms` (those the operator or a parent
    created, or that accepted an older version only)."""
    return (
        Reseller.objects.filter(status=Reseller.Status.APPROVED)
        .exclude(terms_acceptances__terms=terms)
        .count()
    )


def staff_terms_list() -> QuerySet[TermsDocument]:
    return TermsDocument.objects.select_related("published_by").annotate(
        acceptance_count=_count_of("acceptances", TermsDocument)
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
    current = terms_current()
    return {
        "vat_check": reseller.vat_check,
        "acceptance": acceptance,
        "terms_current": current,
        # The terms in force wait for this reseller's acceptance (never accepted, or only an
        # older version): the staff terms page counts acceptances per version the same way.
        "terms_pending": current is not None
        and (acceptance is None or acceptance.terms_id != current.pk),
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
        "approval_warnings": approval_warnings(reseller=reseller, email_verified=verified),
    }


def approval_warnings(*, reseller: Reseller, email_verified: bool) -> list[str]:
    """What staff should know before approving: a VAT check that has not answered, an
    applicant who has not confirmed the e-mail address. Approving anyway needs a confirmation."""
    warnings = []
    vies = reseller.vies_status
    if vies.key in ("pending", "unavailable", "not_checked"):
        warnings.append(
            _("The VAT ID check has no answer yet (%(status)s): %(note)s")
            % {"status": vies.label, "note": vies.note}
        )
    if not email_verified:
        warnings.append(
            _("The applicant has not confirmed the e-mail address %(email)s yet.")
            % {"email": reseller.contact_email}
        )
    return warnings


@dataclass(frozen=True)
class SubresellerAllowance:
    """Whether a reseller's Admins may create a sub-reseller now, and why not.

    depth: the reseller's level (0 for a direct reseller of the operator); limit: the depth
    limit of its top-level reseller, which bounds the whole tree.
    """

    allowed: bool
    reason: str  # "" | "flag-off" | "too-deep" | "not-approved"
    depth: int
    limit: int

    @property
    def child_may_have_children(self) -> bool:
        """Whether a child created now could itself be allowed sub-resellers."""
        return self.depth + 2 <= self.limit


def reseller_ancestry(*, reseller: Reseller) -> tuple[int, int]:
    """(depth, the top-level reseller's depth limit): one query per level, at most
    MAX_SUBRESELLER_DEPTH + 1 levels exist."""
    depth, parent_id, limit = 0, reseller.parent_id, reseller.subreseller_depth_limit
    while parent_id is not None and depth <= MAX_SUBRESELLER_DEPTH:
        depth += 1
        parent_id, limit = Reseller.objects.values_list("parent_id", "subreseller_depth_limit").get(
            pk=parent_id
        )
    return depth, limit


def subreseller_allowance(*, reseller: Reseller) -> SubresellerAllowance:
    depth, limit = reseller_ancestry(reseller=reseller)
    reason = ""
    if not reseller.may_create_subresellers:
        reason = "flag-off"
    elif depth + 1 > limit:
        reason = "too-deep"
    elif reseller.status != Reseller.Status.APPROVED:
        reason = "not-approved"
    return SubresellerAllowance(allowed=not reason, reason=reason, depth=depth, limit=limit)


def sub_reseller_accounts(*, reseller: Reseller) -> QuerySet[Reseller]:
    """The direct sub-resellers with their sales-credit balance, for "Manage accounts"."""
    return sub_reseller_list(reseller=reseller).annotate(
        sales_credit=reseller_balance_expression(kind=LedgerAccount.Kind.SALES_CREDIT)
    )


def staff_reseller_get(*, pk: int) -> Reseller:
    """One reseller for staff pages, with its sales-credit balance."""
    return (
        staff_reseller_list()
        .annotate(sales_credit=reseller_balance_expression(kind=LedgerAccount.Kind.SALES_CREDIT))
        .get(pk=pk)
    )


# --- Branding and hostnames -------------------------------------------------------------------


def branding_for(*, reseller: Reseller) -> Branding | None:
    """The reseller's branding, or None before it saved any."""
    return Branding.objects.filter(reseller=reseller).first()


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


def active_hostname_of(*, reseller) -> str | None:
    """The reseller's own hostname if it is active (where its customers are sent), else None."""
    return (
        ResellerHostname.objects.filter(reseller=reseller, status=ResellerHostname.Status.ACTIVE)
        .values_list("hostname", flat=True)
        .first()
    )


def active_hostname_for_host(*, host: str) -> ResellerHostname | None:
    """The active reseller hostname a request's host names, with its reseller and branding
    (one query; used by resellers.middleware.ResellerHostMiddleware before any tenant is known)."""
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
