"""What the VIES task reads and writes: which VAT ID to ask about, and the answer.

Asking VIES is an outside call: `tax.tasks.vies_check` makes it outside any transaction and
stores the answer with `vat_check_record`, in a transaction of its own."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from tax.models import VatCheck
from tax.vies import ViesAnswer


def vat_check_vat_id(*, check_id: int) -> str | None:
    """The VAT ID a check should ask VIES about, or None when it needs no (more) asking."""
    check = VatCheck.objects.filter(pk=check_id).select_related("reseller").first()
    if check is None or check.status in (VatCheck.Status.VALID, VatCheck.Status.INVALID):
        return None
    if check.reseller.vat_check_id != check.pk:
        return None  # the VAT ID changed since: a newer check is under way
    return check.vat_id


@transaction.atomic(durable=True)
def vat_check_record(
    *,
    check_id: int,
    answer: ViesAnswer | None,
    unavailable_reason: str = "",
    retry_at: dt.datetime | None = None,
) -> VatCheck:
    """Store what VIES said: valid / invalid, or unavailable (answer None), with when the
    worker asks again (`retry_at`; None: not planned, staff may ask again)."""
    check = VatCheck.objects.select_for_update().get(pk=check_id)
    if check.status in (VatCheck.Status.VALID, VatCheck.Status.INVALID):
        return check  # a duplicate delivery of the task: the answer is already stored
    check.attempts += 1
    check.checked_at = timezone.now()
    check.retry_at = retry_at if answer is None else None
    if answer is None:
        check.status = VatCheck.Status.UNAVAILABLE
        check.error = unavailable_reason[:200]
    else:
        check.status = VatCheck.Status.VALID if answer.valid else VatCheck.Status.INVALID
        check.name = answer.name[:300]
        check.address = answer.address
        check.consultation_number = answer.consultation_number[:64]
        check.error = answer.error[:200]
    check.save()
    audit_record(
        actor=None,
        action=f"vat_check.{check.status}",
        reseller_id=check.reseller_id,
        obj=check,
        data={
            "vat_id": check.vat_id,
            "attempt": check.attempts,
            "error": check.error,
            "retry_at": check.retry_at.isoformat() if check.retry_at else None,
        },
    )
    return check
