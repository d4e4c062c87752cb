"""A customer tops up by card through the operator's Stripe: the portal's form, the real
Stripe SDK against the loopback fake, its signed webhooks through our webhook view, the
return page, and the ledger (funding, the recharge with its commission, refunds and
chargebacks)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import reseller_balance
from ledger.services import OperatorAccount, customer_account, ledger_post
from ledger.verify import ledger_verify
from payments.models import CustomerPayment, PaymentEvent, ResellerPaypal
from sms.models import Message
from tests.factories import CustomerUserFactory, ResellerFactory, StaffFactory
from tests.payments.portal import clearing, forward, post_webhook
from tests.world import fund

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
Status = CustomerPayment.Status


@pytest.fixture
def shop():
    reseller = ResellerFactory(commission_rate=Decimal("10.00"))
    customer = CustomerUserFactory(reseller=reseller, language="en")
    client = Client()
    client.force_login(customer.user)
    return reseller, customer, client


def _open(client, amount: str = "20", form_key: str | None = None):
    return client.post(
        reverse("payments:customer-topup-card"),
        {"amount": amount, "form_key": form_key or str(uuid.uuid4())},
    )


def _opened(client, customer, amount: str = "20") -> CustomerPayment:
    answer = _open(client, amount)
    assert answer.status_code == 303, answer.context and answer.context["form"].errors
    payment = CustomerPayment.objects.get(customer=customer)
    assert answer.headers["Location"] == payment.checkout_url
    return payment


def _paid(stripe_portal, client, customer, times: int = 1) -> CustomerPayment:
    payment = _opened(client, customer)
    stripe_portal.fake.pay(payment.checkout_id)
    assert forward("stripe", stripe_portal.sink, times=times) == [200] * times
    payment.refresh_from_db()
    return payment


def _balance(customer) -> Decimal:
    return customer_account(customer=customer).balance


def _postings(payment, kind) -> int:
    rows = LedgerTransaction.objects.filter(kind=kind, metadata__customer_payment=payment.pk)
    return rows.count()


def _recharges(customer) -> int:
    return LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.RECHARGE, metadata__customer_id=customer.pk
    ).count()


def _spend(customer, amount: str) -> None:
    ledger_post(
        kind=LedgerTransaction.Kind.USAGE,
        currency="EUR",
        legs=[
            (customer_account(customer=customer), "-" + amount),
            (OperatorAccount(Kind.REVENUE), amount),
        ],
        idempotency_key=f"usage-{uuid.uuid4()}",
    )


def _ledger_clean():
    report = ledger_verify()
    assert report.clean, report


def test_a_card_top_up_is_credited_once_as_a_recharge(stripe_portal, shop):
    reseller, customer, client = shop
    page = client.get(reverse("payments:customer-topup"))
    assert page.status_code == 200 and 'data-testid="pay-by-card"' in page.content.decode()
    assert "topup-paypal" not in page.content.decode()
    payment = _paid(stripe_portal, client, customer, times=10)
    session = stripe_portal.fake.session_for(payment.reference)
    assert session["amount_total"] == 2000 and session["currency"] == "eur"
    assert payment.status == Status.CREDITED
    assert payment.provider_payment_id == session["payment_intent"]
    assert payment.recharge.idempotency_key == f"recharge:stripe:{session['payment_intent']}"
    assert _recharges(customer) == 1
    assert _postings(payment, LedgerTransaction.Kind.TOPUP) == 1
    assert payment.funding.metadata["customer_payment"] == payment.pk
    # Funded 20 by the card, sold 20 to the customer: the sales credit is where it was.
    assert _balance(customer) == Decimal("20")
    assert reseller_balance(reseller=reseller, kind=Kind.SALES_CREDIT) == Decimal("0")
    assert reseller_balance(reseller=reseller, kind=Kind.COMMISSION) == Decimal("2")
    assert clearing(Kind.CLEARING_STRIPE) == Decimal("-20")
    assert payment.events.filter(verified=True).count() == 1
    assert Message.objects.filter(recipient=customer.phone).count() == 1
    # The status page shows it credited.
    status = client.get(reverse("payments:customer-topup-status", args=[payment.reference]))
    assert status.status_code == 200 and 'data-status="credited"' in status.content.decode()
    _ledger_clean()


def test_the_return_page_credits_when_the_webhook_is_late(stripe_portal, shop):
    _reseller, customer, client = shop
    payment = _opened(client, customer)
    stripe_portal.fake.pay(payment.checkout_id)
    page = client.get(reverse("payments:customer-topup-status", args=[payment.reference]))
    assert page.status_code == 200
    payment.refresh_from_db()
    assert payment.status == Status.CREDITED and _balance(customer) == Decimal("20")
    assert forward("stripe", stripe_portal.sink, times=3) == [200] * 3
    assert _recharges(customer) == 1 and _postings(payment, LedgerTransaction.Kind.TOPUP) == 1
    sources = set(payment.events.values_list("source", "outcome"))
    assert (PaymentEvent.Source.RETURN, PaymentEvent.Outcome.APPLIED) in sources
    _ledger_clean()


def test_the_same_form_sent_twice_opens_one_payment(stripe_portal, shop):
    _reseller, customer, client = shop
    key = str(uuid.uuid4())
    first, second = _open(client, form_key=key), _open(client, form_key=key)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert CustomerPayment.objects.filter(customer=customer).count() == 1


def test_an_amount_not_offered_is_refused_on_the_page(stripe_portal, shop):
    _reseller, customer, client = shop
    answer = _open(client, amount="17")
    assert answer.status_code == 400
    assert not CustomerPayment.objects.filter(customer=customer).exists()


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"amount_total": 200}, PaymentEvent.Check.WRONG_AMOUNT),
        ({"currency": "usd"}, PaymentEvent.Check.WRONG_CURRENCY),
    ],
)
def test_a_wrong_amount_or_currency_credits_nothing(stripe_portal, shop, changes, check):
    _reseller, customer, client = shop
    payment = _opened(client, customer)
    session = dict(stripe_portal.fake.session_for(payment.reference))
    session.update({"status": "complete", "payment_status": "paid", **changes})
    event = stripe_portal.fake.event_for("checkout.session.completed", session)
    for _ in range(3):
        assert post_webhook("stripe", *stripe_portal.fake.signed(event)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Status.CREATED and payment.attention
    assert payment.events.filter(failed_check=check).count() == 1
    assert _postings(payment, LedgerTransaction.Kind.TOPUP) == 0 and _recharges(customer) == 0
    assert _balance(customer) == 0 and clearing(Kind.CLEARING_STRIPE) == 0
    _ledger_clean()


def test_a_refund_reverses_the_sale_the_commission_and_the_card_money(stripe_portal, shop):
    reseller, customer, client = shop
    payment = _paid(stripe_portal, client, customer)
    stripe_portal.fake.refund_on_dashboard(payment.provider_payment_id, 2000)
    assert forward("stripe", stripe_portal.sink, times=3) == [200] * 3
    payment.refresh_from_db()
    assert payment.status == Status.REVERSED
    assert payment.reversal.reverses_id == payment.recharge_id
    # By hand: customer 20 → 0; sales credit 0 + 20 (sale back) − 20 (card refund) = 0;
    # commission 2 → 0; clearing −20 + 20 = 0.
    assert _balance(customer) == 0
    assert reseller_balance(reseller=reseller, kind=Kind.SALES_CREDIT) == 0
    assert reseller_balance(reseller=reseller, kind=Kind.COMMISSION) == 0
    assert clearing(Kind.CLEARING_STRIPE) == 0
    assert _postings(payment, LedgerTransaction.Kind.REVERSAL) == 1
    assert LedgerTransaction.objects.filter(reverses=payment.recharge).count() == 1
    _ledger_clean()


def test_a_chargeback_after_the_balance_was_spent_is_flagged_for_staff(stripe_portal, shop):
    reseller, customer, client = shop
    payment = _paid(stripe_portal, client, customer)
    _spend(customer, "12")
    stripe_portal.fake.dispute(payment.provider_payment_id, 2000)
    assert forward("stripe", stripe_portal.sink, times=2) == [200] * 2
    payment.refresh_from_db()
    assert payment.status == Status.FLAGGED
    assert "does not cover" in payment.attention
    # Nothing reversed, nothing posted: the sales credit (0) cannot pay the card money back.
    assert _balance(customer) == Decimal("8")
    assert reseller_balance(reseller=reseller, kind=Kind.COMMISSION) == Decimal("2")
    assert _postings(payment, LedgerTransaction.Kind.REVERSAL) == 0
    assert clearing(Kind.CLEARING_STRIPE) == Decimal("-20")
    staff = Client()
    staff.force_login(StaffFactory())
    page = staff.get(reverse("payments:staff-customer-card-list")).content.decode()
    assert payment.reference in page
    _ledger_clean()


def test_a_chargeback_after_the_balance_was_spent_takes_the_card_money_from_sales_credit(
    stripe_portal, shop
):
    reseller, customer, client = shop
    fund(reseller, net="100.00", vat="19.00")
    payment = _paid(stripe_portal, client, customer)
    _spend(customer, "12")
    stripe_portal.fake.dispute(payment.provider_payment_id, 2000)
    assert forward("stripe", stripe_portal.sink) == [200]
    payment.refresh_from_db()
    assert payment.status == Status.FLAGGED and "taken from" in payment.attention
    assert reseller_balance(reseller=reseller, kind=Kind.SALES_CREDIT) == Decimal("80")
    assert clearing(Kind.CLEARING_STRIPE) == 0
    assert _postings(payment, LedgerTransaction.Kind.REVERSAL) == 1
    _ledger_clean()


def test_a_partial_refund_is_flagged_for_staff(stripe_portal, shop):
    _reseller, customer, client = shop
    payment = _paid(stripe_portal, client, customer)
    stripe_portal.fake.refund_on_dashboard(payment.provider_payment_id, 500)
    assert forward("stripe", stripe_portal.sink) == [200]
    payment.refresh_from_db()
    assert payment.status == Status.FLAGGED and payment.attention
    assert _balance(customer) == Decimal("20") and clearing(Kind.CLEARING_STRIPE) == -20
    assert _postings(payment, LedgerTransaction.Kind.REVERSAL) == 0
    # The rest refunded later: now it is a full refund, reversed as one.
    stripe_portal.fake.refund_on_dashboard(payment.provider_payment_id, 1500)
    assert forward("stripe", stripe_portal.sink) == [200]
    payment.refresh_from_db()
    assert payment.status == Status.REVERSED
    assert _balance(customer) == 0 and clearing(Kind.CLEARING_STRIPE) == 0
    _ledger_clean()


def test_card_is_not_offered_when_the_reseller_takes_paypal(stripe_portal, shop):
    reseller, customer, client = shop
    ResellerPaypal.objects.create(
        reseller=reseller,
        receiver_email="shop@example.test",
        merchant_id="MERCHANT1",
        enabled=True,
        notify_token=uuid.uuid4().hex,
    )
    page = client.get(reverse("payments:customer-topup")).content.decode()
    assert "topup-paypal" in page and "pay-by-card" not in page
    assert _open(client).status_code == 400
    assert not CustomerPayment.objects.filter(customer=customer).exists()


def test_card_is_not_offered_without_stripe(settings, shop):
    _reseller, customer, client = shop
    settings.STRIPE_SECRET_KEY = ""
    assert _open(client).status_code == 400
    assert not CustomerPayment.objects.filter(customer=customer).exists()


def test_another_customer_can_neither_open_nor_see_it(stripe_portal, shop):
    reseller, customer, client = shop
    payment = _opened(client, customer)
    url = reverse("payments:customer-topup-status", args=[payment.reference])
    for other in (
        CustomerUserFactory(reseller=reseller),
        CustomerUserFactory(reseller=ResellerFactory()),
    ):
        intruder = Client()
        intruder.force_login(other.user)
        assert intruder.get(url).status_code == 404
    staff = Client()
    staff.force_login(StaffFactory())
    assert staff.get(url).status_code == 403


def test_an_expired_session_credits_nothing_until_money_arrives(stripe_portal, shop):
    _reseller, customer, client = shop
    payment = _opened(client, customer)
    stripe_portal.fake.expire(payment.checkout_id)
    assert forward("stripe", stripe_portal.sink) == [200]
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED and _recharges(customer) == 0
    # Stripe says it was paid after all: money that arrived is credited, once.
    session = dict(stripe_portal.fake.session_for(payment.reference))
    session.update({"status": "complete", "payment_status": "paid", "payment_intent": "pi_late"})
    event = stripe_portal.fake.event_for("checkout.session.completed", session)
    for _ in range(2):
        assert post_webhook("stripe", *stripe_portal.fake.signed(event)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Status.CREDITED and _balance(customer) == Decimal("20")
    assert _recharges(customer) == 1
    _ledger_clean()
