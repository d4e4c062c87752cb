"""A reseller's life: created, suspended, reactivated. Each service is atomic and audits
in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from core.errors import CodedError
from resellers.commission import commission_today
from resellers.models import (
    CommissionPlan,
    Reseller,
)
from resellers.services.commission import plan_write
from tax.services import vat_check_applies, vat_check_start


class ResellerStateError(CodedError):
    """The reseller is not in a state that allows the action."""

    message = gettext_lazy("The reseller is not in a state that allows this.")
    messages = {
        "already-suspended": gettext_lazy("This reseller is already suspended."),
        "not-approved": gettext_lazy("Only an approved reseller can be suspended."),
        "not-suspended": gettext_lazy("This reseller is not suspended."),
        "not-applied": gettext_lazy("This application was already decided."),
        "reason-required": gettext_lazy("Give a reason for the rejection."),
        "no-vat-id": gettext_lazy("This company has no EU VAT ID to check."),
    }
    fields = {"reason-required": "reason"}


def reseller_lock(reseller_id: int) -> Reseller:
    return Reseller.objects.select_for_update().get(pk=reseller_id)


@transaction.atomic(durable=True)
def reseller_suspend(*, reseller_id: int, actor: User, reason: str) -> Reseller:
    """Stop a reseller's users from doing anything until staff reactivate it."""
    reseller = reseller_lock(reseller_id)
    if reseller.status == Reseller.Status.SUSPENDED:
        raise ResellerStateError("already-suspended")
    if reseller.status != Reseller.Status.APPROVED:
        raise ResellerStateError("not-approved")
    previous = reseller.status
    reseller.status = Reseller.Status.SUSPENDED
    reseller.status_reason = reason
    reseller.save(update_fields=["status", "status_reason"])
    audit_record(
        actor=actor,
        action="reseller.suspended",
        reseller=reseller,
        obj=reseller,
        data={"reason": reason, "previous_status": previous},
    )
    return reseller


@transaction.atomic(durable=True)
def reseller_reactivate(*, reseller_id: int, actor: User) -> Reseller:
    """Lift a suspension; the reseller goes back to approved."""
    reseller = reseller_lock(reseller_id)
    if reseller.status != Reseller.Status.SUSPENDED:
        raise ResellerStateError("not-suspended")
    reseller.status = Reseller.Status.APPROVED
    reseller.status_reason = ""
    if reseller.approved_at is None:
        reseller.approved_at = timezone.now()
    reseller.save(update_fields=["status", "status_reason", "approved_at"])
    audit_record(actor=actor, action="reseller.reactivated", reseller=reseller, obj=reseller)
    return reseller


@transaction.atomic(durable=True)
def reseller_create(
    *,
    actor: User | None,
    name: str,
    legal_name: str,
    slug: str,
    country: str,
    contact_email: str,
    currency: str,
    parent: Reseller | None = None,
    status: str = Reseller.Status.APPLIED,
    commission_rate=None,
    **details: str,
) -> Reseller:
    """Create a reseller (operator-created, or a sub-reseller of `parent`). With a
    `commission_rate`, its first commission plan starts today at that rate."""
    reseller = Reseller(
        name=name,
        legal_name=legal_name,
        slug=slug,
        country=country,
        contact_email=contact_email,
        currency=parent.currency if parent is not None else currency,
        parent=parent,
        status=status,
        approved_at=timezone.now() if status == Reseller.Status.APPROVED else None,
        **details,
    )
    if commission_rate is not None:
        reseller.commission_rate = commission_rate
    reseller.full_clean()
    reseller.save()
    audit_record(
        actor=actor,
        action="reseller.created",
        reseller=reseller,
        obj=reseller,
        data={"status": status, "parent_id": parent.pk if parent else None},
    )
    if commission_rate is not None:
        plan_write(
            reseller=reseller,
            actor=actor,
            rate=commission_rate,
            effective_from=commission_today(),
            source=CommissionPlan.Source.PARENT if parent else CommissionPlan.Source.STAFF,
        )
    # Created by the operator or a parent, the company is checked with VIES as an applicant
    # is: otherwise its EU VAT ID would stay "not checked" for good.
    if vat_check_applies(country=reseller.country.code, vat_id=reseller.vat_id):
        vat_check_start(reseller=reseller)
    return reseller
