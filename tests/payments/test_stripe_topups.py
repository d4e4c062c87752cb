"""Card top-ups end to end: the real Stripe SDK against the loopback fake, its signed
webhooks through our webhook view, the payer's return page, and the ledger."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from ledger.models import LedgerAccount
from payments.models import PaymentEvent, TopUp
from tests.factories import MembershipFactory
from tests.payments.helpers import german_reseller
from tests.payments.portal import (
    clearing,
    forward,
    open_topup,
    post_webhook,
    sales_credit,
    topup_postings,
)

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


def test_start_opens_a_checkout_session_for_the_gross(stripe_portal):
    reseller = german_reseller()
    topup = open_topup(reseller, method="stripe")
    session = stripe_portal.fake.session_for(topup.reference)
    assert session["amount_total"] == 11900 and session["currency"] == "eur"
    assert session["client_reference_id"] == topup.reference
    assert topup.checkout_url == session["url"] and topup.provider_payment_id == session["id"]
    assert topup.status == TopUp.Status.CREATED and sales_credit(reseller) == 0


def test_paid_webhook_replayed_ten_times_credits_once(stripe_portal):
    reseller = german_reseller()
    topup = open_topup(reseller, method="stripe")
    stripe_portal.fake.pay(topup.provider_payment_id)
    statuses = forward("stripe", stripe_portal.sink, times=10)
    assert statuses == [200] * 10
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID
    assert topup_postings(topup) == 1
    assert sales_credit(reseller) == Decimal("100.00")
    assert clearing(Kind.VAT_PAYABLE) == Decimal("19.00")
    assert clearing(Kind.CLEARING_STRIPE) == Decimal("-119.00")
    assert topup.events.filter(verified=True).count() == 1


def test_return_page_and_webhook_credit_once(stripe_portal):
    reseller = german_reseller()
    admin = MembershipFactory(reseller=reseller, role=Role.ADMIN).user
    topup = open_topup(reseller, method="stripe", actor=admin)
    stripe_portal.fake.pay(topup.provider_payment_id)
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("payments:topup-return", args=[topup.pk]), follow=True)
    assert page.status_code == 200
    assert forward("stripe", stripe_portal.sink) == [200]
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and topup_postings(topup) == 1
    assert sales_credit(reseller) == Decimal("100.00")
    sources = set(topup.events.values_list("source", "outcome"))
    assert (PaymentEvent.Source.RETURN, PaymentEvent.Outcome.APPLIED) in sources


def test_forged_signature_credits_nothing_and_is_shown_to_staff(stripe_portal):
    reseller = german_reseller()
    topup = open_topup(reseller, method="stripe")
    stripe_portal.fake.pay(topup.provider_payment_id)
    body, headers = stripe_portal.sink.received[0]
    forged = stripe_portal.fake.signed(json.loads(body), secret="whsec_attacker")
    assert post_webhook("stripe", *forged).status_code == 400
    tampered = body.replace(b'"amount_total": 11900', b'"amount_total": 99900')
    assert tampered != body
    assert post_webhook("stripe", tampered, headers).status_code == 400
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.CREATED and sales_credit(reseller) == 0
    rejected = PaymentEvent.objects.filter(failed_check=PaymentEvent.Check.BAD_SIGNATURE)
    assert rejected.count() == 2
    assert "checkout.session.completed" in rejected.first().payload["body"]


def _completed_event(fake, topup, **changes):
    session = dict(fake.session_for(topup.reference))
    session.update({"status": "complete", "payment_status": "paid", **changes})
    return fake.event_for("checkout.session.completed", session)


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"amount_total": 100}, PaymentEvent.Check.WRONG_AMOUNT),
        ({"currency": "usd"}, PaymentEvent.Check.WRONG_CURRENCY),
    ],
)
def test_signed_event_with_wrong_amount_or_currency_credits_nothing(stripe_portal, changes, check):
    reseller = german_reseller()
    topup = open_topup(reseller, method="stripe")
    event = _completed_event(stripe_portal.fake, topup, **changes)
    for _ in range(3):
        assert post_webhook("stripe", *stripe_portal.fake.signed(event)).status_code == 200
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.CREATED and sales_credit(reseller) == 0
    assert topup.events.filter(failed_check=check).count() == 1  # replays are not counted again
    assert topup.attention  # staff see it on the top-up
    staff_rows = PaymentEvent.objects.exclude(failed_check="").filter(topup=topup)
    assert staff_rows.exists()


def test_unknown_order_credits_nothing(stripe_portal):
    reseller = german_reseller()
    topup = open_topup(reseller, method="stripe")
    event = _completed_event(
        stripe_portal.fake, topup, client_reference_id="RF00UNKNOWN", id="cs_test_unknown"
    )
    event["data"]["object"]["metadata"] = {}
    event["data"]["object"]["payment_intent"] = "pi_unknown"
    assert post_webhook("stripe", *stripe_portal.fake.signed(event)).status_code == 200
    assert PaymentEvent.objects.filter(failed_check=PaymentEvent.Check.UNKNOWN_ORDER).count() == 1
    assert sales_credit(reseller) == 0


def test_delayed_payment_is_pending_until_it_succeeds(stripe_portal):
    reseller = german_reseller()
    topup = open_topup(reseller, method="stripe")
    stripe_portal.fake.pay_async(topup.provider_payment_id)
    forward("stripe", stripe_portal.sink)
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PENDING and sales_credit(reseller) == 0
    stripe_portal.fake.complete_async(topup.provider_payment_id)
    forward("stripe", stripe_portal.sink, times=3)
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and topup_postings(topup) == 1
    assert sales_credit(reseller) == Decimal("100.00")


def test_delayed_payment_that_fails_credits_nothing(stripe_portal):
    reseller = german_reseller()
    topup = open_topup(reseller, method="stripe")
    stripe_portal.fake.pay_async(topup.provider_payment_id)
    stripe_portal.fake.complete_async(topup.provider_payment_id, succeed=False)
    forward("stripe", stripe_portal.sink)
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.FAILED and sales_credit(reseller) == 0


def test_applicant_pays_into_pending_and_gets_it_on_approval(stripe_portal):
    from accounts.models import User
    from resellers.models import Reseller
    from resellers.services.onboarding import reseller_approve

    reseller = german_reseller(status=Reseller.Status.APPLIED)
    topup = open_topup(reseller, method="stripe")
    stripe_portal.fake.pay(topup.provider_payment_id)
    forward("stripe", stripe_portal.sink)
    topup.refresh_from_db()
    assert topup.credited_kind == Kind.PENDING
    assert sales_credit(reseller) == 0
    staff = User.objects.create_user(email="staff@op.test", password="x", is_staff=True)
    reseller_approve(reseller_id=reseller.pk, actor=staff)
    assert sales_credit(reseller) == Decimal("100.00")


def test_a_flood_of_forgeries_keeps_only_so_many_rows(stripe_portal, settings):
    from django.core.cache import cache

    cache.clear()
    settings.PAYMENTS_REJECTED_KEEP_PER_MINUTE = 3
    forged = stripe_portal.fake.signed({"id": "evt_x", "type": "x"}, secret="whsec_attacker")
    statuses = [post_webhook("stripe", *forged).status_code for _ in range(6)]
    assert statuses == [400] * 6
    rejected = PaymentEvent.objects.filter(failed_check=PaymentEvent.Check.BAD_SIGNATURE)
    assert rejected.count() == 3


def test_the_reseller_is_told_in_its_language(
    stripe_portal, mailoutbox, django_capture_on_commit_callbacks
):
    reseller = german_reseller(language="de")
    topup = open_topup(reseller, method="stripe")
    stripe_portal.fake.pay(topup.provider_payment_id)
    with django_capture_on_commit_callbacks(execute=True):
        forward("stripe", stripe_portal.sink, times=3)
    # The money-arrived mail, and the invoice's own mail (its PDF attached).
    assert len(mailoutbox) == 2
    (invoice_mail,) = [m for m in mailoutbox if m.attachments]
    (mail,) = [m for m in mailoutbox if not m.attachments]
    assert "Rechnung " in invoice_mail.subject
    assert mail.to == [reseller.contact_email]
    assert "Verkaufsguthaben" in mail.subject and "100,00" in mail.subject
    assert topup.reference in mail.body and f"/r/payments/{topup.pk}/" in mail.body
