"""The reconciliation job: a payment nobody told us about is asked for and settled once; one
that never came expires; a bank transfer's top-up expires with its proforma."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import PaymentEvent, TopUp
from payments.services.reconcile import topups_reconcile
from payments.tasks import topups_reconcile as reconcile_task
from tests.payments.helpers import german_reseller
from tests.payments.portal import forward, open_topup, sales_credit, topup_postings

pytestmark = pytest.mark.django_db


def test_lost_webhook_is_settled_by_the_job_and_its_late_arrival_changes_nothing(stripe_portal):
    reseller = german_reseller()
    topup = open_topup(reseller, method="stripe")
    stripe_portal.fake.pay(topup.provider_payment_id)  # the webhook sits in the sink, lost
    assert topups_reconcile().checked == 0  # too young to ask about
    report = topups_reconcile(now=timezone.now() + timedelta(minutes=20))
    assert (report.checked, report.credited) == (1, 1)
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and sales_credit(reseller) == Decimal("100.00")
    assert topup.events.filter(source=PaymentEvent.Source.RECONCILE).exists()
    forward("stripe", stripe_portal.sink, times=2)  # the webhook after all
    assert topup_postings(topup) == 1 and sales_credit(reseller) == Decimal("100.00")


def test_unpaid_card_topup_expires_after_the_limit(stripe_portal, settings):
    reseller = german_reseller()
    topup = open_topup(reseller, method="stripe")
    later = timezone.now() + timedelta(hours=settings.TOPUP_EXPIRE_HOURS, minutes=1)
    report = topups_reconcile(now=later)
    assert report.expired == 1
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.EXPIRED and sales_credit(reseller) == 0


def test_bank_topup_expires_with_its_proforma(settings):
    reseller = german_reseller()
    topup = open_topup(reseller, method="bank")
    assert topup.status == TopUp.Status.PENDING
    later = timezone.now() + timedelta(days=settings.TOPUP_BANK_EXPIRE_DAYS, hours=1)
    topups_reconcile(now=later)
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.EXPIRED


def test_the_beat_task_runs_the_job(stripe_portal, settings):
    assert settings.CELERY_BEAT_SCHEDULE["payments-reconcile"]["task"] == reconcile_task.name
    assert reconcile_task.delay().get() == {"checked": 0, "credited": 0, "expired": 0}
