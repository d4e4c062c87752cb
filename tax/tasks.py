"""Background work on VAT: the VIES check of a VAT ID."""

from __future__ import annotations

import datetime as dt
import random

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from tax.checking import vat_check_record, vat_check_vat_id
from tax.vies import ViesUnavailable, vies_check_number

VIES_RETRY_CAP = 6 * 60 * 60


def vies_retry_countdown(retries: int) -> int:
    """Seconds before asking VIES again: base, 2×base, 4×base … capped at six hours, plus up
    to half of that again at random, so the checks that met one outage are spread over the
    worker's schedule instead of all asking again in the same second."""
    delay = min(settings.VIES_RETRY_BASE * 2**retries, VIES_RETRY_CAP)
    return delay + random.randint(0, delay // 2)  # noqa: S311 - jitter, not a secret


@shared_task(bind=True, acks_late=True, max_retries=None)
def vies_check(self, check_id: int) -> str:
    """Ask VIES about one VatCheck (HTTP outside any transaction) and store the answer.

    VIES unavailable: the check is stored as unavailable, with the time the worker asks again
    (backoff with jitter, up to settings.VIES_MAX_RETRIES times); it then stays unavailable
    until staff ask again. Without a worker (eager tasks: `make run`, unit tests) nothing can
    ask later, and asking again at once would only repeat the outage inside the web request:
    the check stays unavailable, with no retry planned. Returns the stored status.
    """
    vat_id = vat_check_vat_id(check_id=check_id)
    if vat_id is None:
        return "skipped"
    try:
        answer = vies_check_number(vat_id)
    except ViesUnavailable as exc:
        retries = self.request.retries
        again = not self.request.is_eager and retries < settings.VIES_MAX_RETRIES
        countdown = vies_retry_countdown(retries) if again else None
        retry_at = timezone.now() + dt.timedelta(seconds=countdown) if again else None
        check = vat_check_record(
            check_id=check_id, answer=None, unavailable_reason=str(exc), retry_at=retry_at
        )
        if not again:
            return check.status
        raise self.retry(countdown=countdown) from exc
    return vat_check_record(check_id=check_id, answer=answer).status
