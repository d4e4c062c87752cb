"""Background work on VAT: the VIES check of a VAT ID."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from tax.checking import vat_check_record, vat_check_vat_id
from tax.vies import ViesUnavailable, vies_check_number


def vies_retry_countdown(retries: int) -> int:
    """Seconds before asking VIES again: base, 2×base, 4×base … capped at six hours."""
    return min(settings.VIES_RETRY_BASE * 2**retries, 6 * 60 * 60)


@shared_task(bind=True, acks_late=True, max_retries=None)
def vies_check(self, check_id: int) -> str:
    """Ask VIES about one VatCheck (HTTP outside any transaction) and store the answer.

    VIES unavailable: the check is stored as unavailable (shown as pending) and asked again
    with backoff, up to settings.VIES_MAX_RETRIES times; it then stays pending until staff ask
    again. Returns the stored status.
    """
    vat_id = vat_check_vat_id(check_id=check_id)
    if vat_id is None:
        return "skipped"
    try:
        answer = vies_check_number(vat_id)
    except ViesUnavailable as exc:
        check = vat_check_record(check_id=check_id, answer=None, unavailable_reason=str(exc))
        if self.request.retries >= settings.VIES_MAX_RETRIES:
            return check.status
        countdown = vies_retry_countdown(self.request.retries)
        if self.request.is_eager:
            # Without a broker (development, unit tests) Celery runs a returned retry at once,
            # instead of raising it out of the web request.
            return self.retry(countdown=countdown, throw=False)
        raise self.retry(countdown=countdown) from exc
    return vat_check_record(check_id=check_id, answer=answer).status
