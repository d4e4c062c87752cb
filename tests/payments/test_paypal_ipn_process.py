"""PayPal IPNs into a reseller's own PayPal account, end to end through the endpoint: kept and
answered at once, verified by the postback to a loopback fake that answers VERIFIED only for
what PayPal (the fake) sent, and credited only when every check holds: once however often it
is replayed, never to another reseller's customer, never when forged, off-account, in the
wrong currency or amount, or not completed. Every IPN stays visible with its verdict."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import reseller_balance
from ledger.services import OperatorAccount, customer_account, ledger_post
from ledger.verify import ledger_verify
from payments.fakes.paypal_ipn import VALIDATE_PREFIX, FakePayPalIpn
from payments.fakes.server import serve
from payments.models import CustomerPayment, PaypalIpn
from payments.services.paypal_ipn import paypal_ipn_process, paypal_ipns_retry
from payments.tasks import paypal_ipn_process as paypal_ipn_task
from sms.models import Message
from tests.factories import MembershipFactory, StaffFactory
from tests.payments.ipn import completed, order, post_ipn, shop
from tests.world import card_topup_paid, fund

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
Status = CustomerPayment.Status
Outcome, Check, Verdict = PaypalIpn.Outcome, PaypalIpn.Check, PaypalIpn.Verdict


@pytest.fixture(scope="module")
def paypal_server():
    slot = _Slot()
    running = serve({"paypal-ipn": slot})
    slot.url = f"{running.base_url}/paypal-ipn/cgi-bin/webscr"
    yield slot
    running.stop()


class _Slot:
    """One server for the module, a fresh fake for every test."""

    app: FakePayPalIpn | None = None
    url = ""

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture
def paypal(paypal_server, settings) -> FakePayPalIpn:
    paypal_server.app = FakePayPalIpn()
    settings.PAYPAL_IPN_VERIFY_URL = paypal_server.url
    return paypal_server.app


@pytest.fixture
def kiosk():
    return shop("Kiosk Nord", "Shop@Kiosk-Nord.example", "S8XGHLYDW9T3S")


@pytest.fixture
def other():
    return shop("Laden Süd", "kasse@laden-sued.example", "Q2W3E4R5T6Y7U")


def deliver(client, url, body, django_capture_on_commit_callbacks):
    """PayPal posts the IPN; the task it enqueues runs after the commit (eagerly here)."""
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_ipn(client, url, body)
    assert answer.status_code == 200 and answer.content == b""
    return PaypalIpn.objects.order_by("-id").first()


def _recharges(customer) -> int:
    return LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.RECHARGE, metadata__customer_id=customer.pk
    ).count()


def _balance(customer) -> Decimal:
    return customer_account(customer=customer).balance


def test_the_endpoint_answers_at_once_and_verifies_in_the_task(
    paypal, kiosk, django_capture_on_commit_callbacks
):
    fund(kiosk.reseller)
    payment = order(kiosk)
    body = completed(paypal, payment, kiosk.account)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = post_ipn(Client(), kiosk.url, body)
    assert (answer.status_code, answer.content) == (200, b"")
    ipn = PaypalIpn.objects.get()
    assert bytes(ipn.body) == body and ipn.reseller == kiosk.reseller
    assert (ipn.verdict, ipn.outcome, ipn.attempts) == (Verdict.PENDING, Outcome.PENDING, 0)
    assert ipn.invoice == payment.reference and ipn.gross == Decimal("20.00")
    assert paypal.postbacks == [], "PayPal is asked only when the task runs"
    assert len(callbacks) == 1
    callbacks[0]()
    assert paypal.postbacks == [VALIDATE_PREFIX + body]
    ipn.refresh_from_db()
    payment.refresh_from_db()
    assert (ipn.verdict, ipn.outcome, ipn.note) == (Verdict.VERIFIED, Outcome.APPLIED, "paid")
    assert ipn.customer_payment == payment and ipn.attempts == 1
    assert payment.status == Status.CREDITED and payment.provider_payment_id == ipn.txn_id
    assert _balance(kiosk.customer) == Decimal("20")
    assert AuditEvent.objects.filter(action="paypal_ipn.applied").count() == 1
    assert ledger_verify().clean


def test_replays_times_ten_credit_once(paypal, kiosk, django_capture_on_commit_callbacks):
    fund(kiosk.reseller, net="100.00", vat="19.00")
    payment = order(kiosk)
    body = completed(paypal, payment, kiosk.account)
    client = Client()
    outcomes = [
        deliver(client, kiosk.url, body, django_capture_on_commit_callbacks).outcome
        for _ in range(10)
    ]
    assert outcomes == [Outcome.APPLIED] + [Outcome.DUPLICATE] * 9
    # Running a task again (acks_late redelivery) changes nothing either.
    for ipn in PaypalIpn.objects.all():
        paypal_ipn_process(ipn_id=ipn.pk)
    payment.refresh_from_db()
    assert payment.status == Status.CREDITED
    assert _recharges(kiosk.customer) == 1
    assert Message.objects.filter(recipient=kiosk.customer.phone).count() == 1
    assert _balance(kiosk.customer) == Decimal("20")
    assert reseller_balance(reseller=kiosk.reseller, kind=Kind.SALES_CREDIT) == Decimal("80")
    assert reseller_balance(reseller=kiosk.reseller, kind=Kind.COMMISSION) == Decimal("2")
    assert PaypalIpn.objects.filter(verdict=Verdict.VERIFIED).count() == 10
    assert ledger_verify().clean


REFUSED = {
    "forged-altered": (lambda fake, body: body.replace(b"mc_gross=20.00", b"mc_gross=200.00")),
    "forged-not-from-paypal": None,
    "wrong-receiver-email": {"receiver_email": "thief@example.net"},
    "wrong-receiver-id": {"receiver_id": "ZZZZZZZZZZZZZ"},
    "no-receiver": {"receiver_email": "", "receiver_id": ""},
    "wrong-currency": {"mc_currency": "USD"},
    "wrong-amount": {"mc_gross": "2.00"},
    "wrong-amount-fraction": {"mc_gross": "20.001"},
    "pending": {"payment_status": "Pending", "pending_reason": "echeck"},
    "unknown-order": {"invoice": "CP000000000000"},
}
EXPECTED = {
    "forged-altered": (Verdict.INVALID, Outcome.REJECTED, Check.FORGED),
    "forged-not-from-paypal": (Verdict.INVALID, Outcome.REJECTED, Check.FORGED),
    "wrong-receiver-email": (Verdict.VERIFIED, Outcome.REJECTED, Check.WRONG_RECEIVER),
    "wrong-receiver-id": (Verdict.VERIFIED, Outcome.REJECTED, Check.WRONG_RECEIVER),
    "no-receiver": (Verdict.VERIFIED, Outcome.REJECTED, Check.WRONG_RECEIVER),
    "wrong-currency": (Verdict.VERIFIED, Outcome.REJECTED, Check.WRONG_CURRENCY),
    "wrong-amount": (Verdict.VERIFIED, Outcome.REJECTED, Check.WRONG_AMOUNT),
    "wrong-amount-fraction": (Verdict.VERIFIED, Outcome.REJECTED, Check.WRONG_AMOUNT),
    "pending": (Verdict.VERIFIED, Outcome.RECORDED, Check.NOT_COMPLETED),
    "unknown-order": (Verdict.VERIFIED, Outcome.REJECTED, Check.UNKNOWN_ORDER),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_fails_a_check_credits_nothing_and_is_shown(
    case, paypal, kiosk, django_capture_on_commit_callbacks
):
    fund(kiosk.reseller)
    payment = order(kiosk)
    change = REFUSED[case]
    if change is None:
        body = completed(FakePayPalIpn(), payment, kiosk.account)  # PayPal never sent it
    elif callable(change):
        body = change(paypal, completed(paypal, payment, kiosk.account))
    else:
        body = completed(paypal, payment, kiosk.account, **change)
    ipn = deliver(Client(), kiosk.url, body, django_capture_on_commit_callbacks)
    assert (ipn.verdict, ipn.outcome, ipn.failed_check) == EXPECTED[case]
    assert paypal.postbacks == [VALIDATE_PREFIX + body]
    payment.refresh_from_db()
    assert payment.status in (Status.CREATED, Status.PENDING)
    assert payment.provider_payment_id == "" and payment.recharge_id is None
    assert _recharges(kiosk.customer) == 0 and _balance(kiosk.customer) == Decimal("0")
    assert ledger_verify().clean
    # Visible to the reseller's Admin and Accountant, and to staff, with the check that failed.
    label = str(Check(ipn.failed_check).label)
    for role in ("admin", "accountant"):
        client = Client()
        client.force_login(MembershipFactory(reseller=kiosk.reseller, role=role).user)
        page = client.get("/r/paypal/notifications/")
        assert page.status_code == 200 and label in page.content.decode()
        detail = client.get(f"/r/paypal/notifications/{ipn.pk}/")
        assert detail.status_code == 200 and label in detail.content.decode()
    staff = Client()
    staff.force_login(StaffFactory())
    listing = staff.get("/staff/paypal-notifications/", {"failed_check": ipn.failed_check})
    assert label in listing.content.decode() and kiosk.reseller.name in listing.content.decode()
    assert label in staff.get(f"/staff/paypal-notifications/{ipn.pk}/").content.decode()


def test_a_pending_payment_is_credited_by_the_later_completed_ipn(
    paypal, kiosk, django_capture_on_commit_callbacks
):
    fund(kiosk.reseller)
    payment = order(kiosk)
    txn = "4RT56789PL012345A"
    client = Client()
    pending = completed(paypal, payment, kiosk.account, txn_id=txn, payment_status="Pending")
    assert deliver(client, kiosk.url, pending, django_capture_on_commit_callbacks).outcome == (
        Outcome.RECORDED
    )
    payment.refresh_from_db()
    assert payment.status == Status.PENDING and _balance(kiosk.customer) == 0
    done = completed(paypal, payment, kiosk.account, txn_id=txn)
    assert deliver(client, kiosk.url, done, django_capture_on_commit_callbacks).outcome == (
        Outcome.APPLIED
    )
    payment.refresh_from_db()
    assert payment.status == Status.CREDITED and _balance(kiosk.customer) == Decimal("20")
    assert ledger_verify().clean


def test_two_resellers_ipns_cannot_credit_each_others_customers(
    paypal, kiosk, other, django_capture_on_commit_callbacks
):
    fund(kiosk.reseller)
    fund(other.reseller)
    mine, theirs = order(kiosk), order(other)
    client = Client()
    outcomes = []
    for target, payment, source in ((other, mine, kiosk), (kiosk, theirs, other)):
        # The order's own PayPal account named, posted to the other reseller's address.
        body = completed(paypal, payment, source.account)
        outcomes.append(
            deliver(client, target.url, body, django_capture_on_commit_callbacks).failed_check
        )
        # The receiving reseller's account named, with the other reseller's order.
        body = completed(paypal, payment, target.account)
        outcomes.append(
            deliver(client, target.url, body, django_capture_on_commit_callbacks).failed_check
        )
    assert outcomes == [Check.WRONG_RECEIVER, Check.UNKNOWN_ORDER] * 2
    for payment in (mine, theirs):
        payment.refresh_from_db()
        assert payment.status == Status.CREATED and payment.recharge_id is None
    assert _balance(kiosk.customer) == _balance(other.customer) == 0
    # Each IPN is its receiving reseller's only.
    assert set(PaypalIpn.objects.filter(reseller=other.reseller).values_list("invoice", flat=True))
    client.force_login(MembershipFactory(reseller=kiosk.reseller).user)
    foreign = PaypalIpn.objects.filter(reseller=other.reseller).first()
    assert client.get(f"/r/paypal/notifications/{foreign.pk}/").status_code == 404
    assert client.get(f"/r/customer-payments/{theirs.pk}/").status_code == 404
    # The right address credits, as it should.
    body = completed(paypal, mine, kiosk.account)
    assert deliver(client, kiosk.url, body, django_capture_on_commit_callbacks).outcome == (
        Outcome.APPLIED
    )
    assert _balance(kiosk.customer) == Decimal("20") and _balance(other.customer) == 0
    assert ledger_verify().clean


def test_needs_funds_then_a_top_up_credits_exactly_once(
    paypal, kiosk, django_capture_on_commit_callbacks
):
    fund(kiosk.reseller, net="10.00", vat="1.90")
    payment = order(kiosk)
    body = completed(paypal, payment, kiosk.account)
    client = Client()
    for _ in range(3):
        deliver(client, kiosk.url, body, django_capture_on_commit_callbacks)
    payment.refresh_from_db()
    assert payment.status == Status.NEEDS_FUNDS
    assert _recharges(kiosk.customer) == 0
    told = [m for m in mail.outbox if kiosk.reseller.contact_email in m.to]
    assert len(told) == 1 and payment.reference in told[0].body
    # The reseller sees it waiting, with the way out.
    admin = MembershipFactory(reseller=kiosk.reseller).user
    client.force_login(admin)
    page = client.get("/r/customer-payments/").content.decode()
    assert 'data-testid="needs-funds-banner"' in page and "/r/funds/add/" in page
    # Crediting now, still short, changes nothing.
    client.post("/r/customer-payments/fund/")
    payment.refresh_from_db()
    assert payment.status == Status.NEEDS_FUNDS
    with django_capture_on_commit_callbacks(execute=True):
        card_topup_paid(kiosk.reseller, actor=None, net="100.00")
    client.post("/r/customer-payments/fund/")
    for _ in range(2):
        deliver(Client(), kiosk.url, body, django_capture_on_commit_callbacks)
    payment.refresh_from_db()
    assert payment.status == Status.CREDITED
    assert _recharges(kiosk.customer) == 1
    assert Message.objects.filter(recipient=kiosk.customer.phone).count() == 1
    assert _balance(kiosk.customer) == Decimal("20")
    assert reseller_balance(reseller=kiosk.reseller, kind=Kind.SALES_CREDIT) == Decimal("90")
    assert (
        'data-testid="needs-funds-banner"'
        not in client.get("/r/customer-payments/").content.decode()
    )
    assert ledger_verify().clean


def test_a_refund_reverses_the_recharge_and_claws_the_commission_back(
    paypal, kiosk, django_capture_on_commit_callbacks
):
    fund(kiosk.reseller, net="100.00", vat="19.00")
    payment = order(kiosk)
    client = Client()
    paid = deliver(
        client,
        kiosk.url,
        completed(paypal, payment, kiosk.account),
        django_capture_on_commit_callbacks,
    )
    assert reseller_balance(reseller=kiosk.reseller, kind=Kind.SALES_CREDIT) == Decimal("80")
    assert reseller_balance(reseller=kiosk.reseller, kind=Kind.COMMISSION) == Decimal("2")
    refund = completed(
        paypal,
        payment,
        kiosk.account,
        txn_id="9XR12345ABCDE6789",
        parent_txn_id=paid.txn_id,
        payment_status="Refunded",
        reason_code="refund",
        mc_gross="-20.00",
        invoice=payment.reference,
    )
    outcomes = [
        deliver(client, kiosk.url, refund, django_capture_on_commit_callbacks).outcome
        for _ in range(3)
    ]
    assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE, Outcome.DUPLICATE]
    payment.refresh_from_db()
    assert payment.status == Status.REVERSED
    assert payment.reversal.reverses_id == payment.recharge_id
    # By hand: the customer's 20 is gone, the reseller's 18 of sales credit and 2 of
    # commission are back where they were before the sale.
    assert _balance(kiosk.customer) == Decimal("0")
    assert reseller_balance(reseller=kiosk.reseller, kind=Kind.SALES_CREDIT) == Decimal("100")
    assert reseller_balance(reseller=kiosk.reseller, kind=Kind.COMMISSION) == Decimal("0")
    assert ledger_verify().clean


def test_a_reversal_after_the_balance_was_spent_is_flagged(
    paypal, kiosk, django_capture_on_commit_callbacks
):
    fund(kiosk.reseller, net="100.00", vat="19.00")
    payment = order(kiosk)
    client = Client()
    paid = deliver(
        client,
        kiosk.url,
        completed(paypal, payment, kiosk.account),
        django_capture_on_commit_callbacks,
    )
    ledger_post(
        kind=LedgerTransaction.Kind.USAGE,
        currency="EUR",
        legs=[
            (customer_account(customer=kiosk.customer), "-12"),
            (OperatorAccount(Kind.REVENUE), "12"),
        ],
        idempotency_key="usage-ipn",
    )
    reversal = completed(
        paypal,
        payment,
        kiosk.account,
        txn_id="1CHARGEBACK00001",
        parent_txn_id=paid.txn_id,
        payment_status="Reversed",
        reason_code="chargeback",
        mc_gross="-20.00",
    )
    ipn = deliver(client, kiosk.url, reversal, django_capture_on_commit_callbacks)
    assert (ipn.outcome, ipn.note, ipn.attention) == (Outcome.RECORDED, "reversal_flagged", True)
    payment.refresh_from_db()
    assert payment.status == Status.FLAGGED and payment.attention
    assert _balance(kiosk.customer) == Decimal("8")
    assert AuditEvent.objects.filter(action="customer_payment.flagged").count() == 1
    assert ledger_verify().clean


def test_a_postback_outage_is_retried_then_applied(
    paypal, kiosk, django_capture_on_commit_callbacks
):
    fund(kiosk.reseller)
    payment = order(kiosk)
    body = completed(paypal, payment, kiosk.account)
    paypal.outage = 2
    ipn = deliver(Client(), kiosk.url, body, django_capture_on_commit_callbacks)
    assert (ipn.verdict, ipn.outcome, ipn.attempts) == (Verdict.ERROR, Outcome.PENDING, 1)
    assert _balance(kiosk.customer) == 0
    assert paypal_ipn_task.apply(args=[ipn.pk]).get() == "error"
    ipn.refresh_from_db()
    assert ipn.attempts == 2 and ipn.outcome == Outcome.PENDING
    assert paypal_ipn_task.apply(args=[ipn.pk]).get() == Outcome.APPLIED
    ipn.refresh_from_db()
    assert (ipn.verdict, ipn.attempts) == (Verdict.VERIFIED, 3)
    assert _balance(kiosk.customer) == Decimal("20")
    assert ledger_verify().clean


def test_unknown_addresses_large_bodies_and_floods_keep_nothing(
    paypal, kiosk, settings, django_capture_on_commit_callbacks
):
    payment = order(kiosk)
    body = completed(paypal, payment, kiosk.account)
    client = Client()
    assert post_ipn(client, "/ipn/paypal/not-a-token/", body).status_code == 404
    assert client.get(kiosk.url).status_code == 405
    assert post_ipn(client, kiosk.url, b"txn_id=1&x=" + b"a" * 30_000).status_code == 413
    assert PaypalIpn.objects.count() == 0
    settings.PAYPAL_IPN_KEEP_PER_MINUTE = 3
    with django_capture_on_commit_callbacks(execute=False):
        answers = [post_ipn(client, kiosk.url, b"txn_id=F&x=1").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 503, 503]
    assert PaypalIpn.objects.count() == 3
    assert paypal.postbacks == []


def test_an_unreadable_body_is_kept_as_malformed_without_asking_paypal(
    paypal, kiosk, django_capture_on_commit_callbacks
):
    ipn = deliver(Client(), kiosk.url, b"hello=world", django_capture_on_commit_callbacks)
    assert (ipn.outcome, ipn.failed_check) == (Outcome.REJECTED, Check.MALFORMED)
    assert paypal.postbacks == []


def test_a_partial_refund_and_a_canceled_reversal_are_left_to_people(
    paypal, kiosk, django_capture_on_commit_callbacks
):
    fund(kiosk.reseller)
    payment = order(kiosk)
    client = Client()
    paid = deliver(
        client,
        kiosk.url,
        completed(paypal, payment, kiosk.account),
        django_capture_on_commit_callbacks,
    )
    partial = completed(
        paypal,
        payment,
        kiosk.account,
        txn_id="5PARTIAL00000001",
        parent_txn_id=paid.txn_id,
        payment_status="Refunded",
        mc_gross="-5.00",
    )
    ipn = deliver(client, kiosk.url, partial, django_capture_on_commit_callbacks)
    assert (ipn.outcome, ipn.note, ipn.attention) == (Outcome.RECORDED, "partial_refund", True)
    canceled = completed(
        paypal,
        payment,
        kiosk.account,
        txn_id="5CANCELED0000001",
        parent_txn_id=paid.txn_id,
        payment_status="Canceled_Reversal",
        mc_gross="20.00",
    )
    ipn = deliver(client, kiosk.url, canceled, django_capture_on_commit_callbacks)
    assert (ipn.outcome, ipn.note, ipn.attention) == (Outcome.RECORDED, "canceled_reversal", True)
    assert ipn.customer_payment == payment
    payment.refresh_from_db()
    assert payment.status == Status.CREDITED and _balance(kiosk.customer) == Decimal("20")
    assert AuditEvent.objects.filter(action="paypal_ipn.recorded").count() == 2
    # Staff see what needs them, with the sentence for people.
    staff = Client()
    staff.force_login(StaffFactory())
    page = staff.get(f"/staff/paypal-notifications/{ipn.pk}/").content.decode()
    assert str(PaypalIpn.Note.CANCELED_REVERSAL.label) in page
    listing = staff.get("/staff/paypal-notifications/", {"outcome": "recorded"}).content.decode()
    assert "5CANCELED0000001" in listing and "5PARTIAL00000001" in listing
    assert ledger_verify().clean


def test_the_beat_job_asks_again_about_ipns_left_unanswered(
    paypal, kiosk, settings, django_capture_on_commit_callbacks
):
    fund(kiosk.reseller)
    payment = order(kiosk)
    body = completed(paypal, payment, kiosk.account)
    paypal.outage = 1
    ipn = deliver(Client(), kiosk.url, body, django_capture_on_commit_callbacks)
    assert ipn.verdict == Verdict.ERROR
    assert paypal_ipns_retry() == 0  # too recent: the task's own retries come first
    PaypalIpn.objects.filter(pk=ipn.pk).update(received_at=timezone.now() - timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=True):
        assert paypal_ipns_retry() == 1
    ipn.refresh_from_db()
    assert (ipn.verdict, ipn.outcome) == (Verdict.VERIFIED, Outcome.APPLIED)
    assert paypal_ipns_retry() == 0
    # Past PAYPAL_IPN_RETRY_DAYS an unanswered IPN is left for people.
    old = PaypalIpn.objects.create(reseller=kiosk.reseller, body=body, txn_id="OLD")
    PaypalIpn.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=4))
    assert paypal_ipns_retry() == 0
    assert _balance(kiosk.customer) == Decimal("20")
    assert ledger_verify().clean
