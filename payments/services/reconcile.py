"""The reconciliation job: top-ups nobody told us about are asked for.

A card or PayPal top-up still open TOPUP_RECHECK_MINUTES after it was created (the webhook
was lost, the payer closed the tab before returning) is fetched from its provider and settled
through the one fulfilment; still unpaid after TOPUP_EXPIRE_HOURS, it expires. A bank
transfer's top-up expires when its proforma does (TOPUP_BANK_EXPIRE_DAYS); money that arrives
later still finds it by its reference in the statement import.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from payments.gateways.base import GatewayError, PaymentStatus
from payments.models import Method, PaymentEvent, TopUp
from payments.services.topups import Settlement, topup_refresh, topup_settle

logger = logging.getLogger(__name__)

BATCH = 200


@dataclass
class Reconciled:
    checked: int = 0
    credited: int = 0
    expired: int = 0
    errors: list[str] = field(default_factory=list)


def topups_reconcile(*, now=None) -> Reconciled:
    now = now or timezone.now()
    report = Reconciled()
    recheck_before = now - timedelta(minutes=settings.TOPUP_RECHECK_MINUTES)
    expire_before = now - timedelta(hours=settings.TOPUP_EXPIRE_HOURS)
    stale = (
        TopUp.objects.filter(
            status__in=TopUp.OPEN,
            method__in=(Method.STRIPE, Method.PAYPAL),
            created_at__lt=recheck_before,
            attention="",
        )
        .select_related("reseller")
        .order_by("id")[:BATCH]
    )
    for topup in stale:
        report.checked += 1
        try:
            settled = topup_refresh(topup=topup, source=PaymentEvent.Source.RECONCILE)
        except GatewayError as exc:
            logger.warning("Reconciliation of top-up %s failed: %s", topup.pk, exc)
            report.errors.append(f"{topup.reference}: {exc}")
            continue
        if settled.credited:
            report.credited += 1
            continue
        if settled.topup.is_open and topup.created_at < expire_before:
            _expire(topup, detail="expired")
            report.expired += 1
    bank_before = now - timedelta(days=settings.TOPUP_BANK_EXPIRE_DAYS)
    for topup in TopUp.objects.filter(
        status__in=TopUp.OPEN, method=Method.BANK, created_at__lt=bank_before
    ).order_by("id")[:BATCH]:
        _expire(topup, detail="proforma-expired")
        report.expired += 1
    return report


def _expire(topup: TopUp, *, detail: str) -> None:
    topup_settle(
        topup_id=topup.pk,
        settlement=Settlement(
            source=PaymentEvent.Source.RECONCILE,
            status=PaymentStatus.EXPIRED,
            amount=None,
            currency=topup.currency,
            event_type=detail,  # "expired" or "proforma-expired" (PaymentEvent.type_label)
        ),
    )
