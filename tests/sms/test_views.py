import pytest
from django.urls import reverse

from audit.models import AuditEvent
from sms.models import Message
from tests.factories import CustomerFactory
from tests.sms.factories import FailedMessageFactory, MessageFactory

pytestmark = pytest.mark.django_db

INBOX = reverse("sms:inbox")


def _messages_for(tenant, count, **kwargs):
    return [MessageFactory(customer=tenant.customer, **kwargs) for _ in range(count)]


def test_staff_read_every_tenants_messages_in_the_inbox(world):
    mine = MessageFactory(customer=world.a.customer, body="Hello from A")
    theirs = MessageFactory(customer=world.b.customer, body="Hello from B")
    page = world.client_for("staff").get(INBOX)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hello from A" in html and "Hello from B" in html
    detail = world.client_for("staff").get(reverse("sms:message-detail", args=[theirs.pk]))
    assert detail.status_code == 200
    assert "Hello from B" in detail.content.decode()
    assert mine.recipient in html


CONFIGURATIONS = [
    pytest.param(debug, backend, id=f"debug={debug}-{backend}")
    for debug in (False, True)
    for backend in ("database", "console", "http")
]


@pytest.mark.parametrize(("debug", "backend"), CONFIGURATIONS)
@pytest.mark.parametrize("role", ["admin", "user", "accountant", "customer"])
def test_inbox_is_refused_to_everyone_but_staff_in_every_configuration(
    world, role, debug, backend, settings
):
    """It used to open to anyone signed in while DEBUG (`make run`): end customers read
    every customer's credentials there."""
    settings.DEBUG, settings.SMS_BACKEND = debug, backend
    own = MessageFactory(customer=world.a.customer, body="your own text")
    theirs = MessageFactory(customer=world.b.customer, body="secret credentials")
    client = world.client_for(role)
    assert client.get(INBOX).status_code == 403
    for message in (own, theirs):
        detail = client.get(reverse("sms:message-detail", args=[message.pk]))
        assert detail.status_code == 403
        assert "secret credentials" not in detail.text
    assert "your own text" not in client.get(INBOX).text


@pytest.mark.parametrize("debug", [False, True])
def test_navigation_shows_the_inbox_to_staff_only(world, settings, debug):
    settings.DEBUG = debug
    link = f'href="{INBOX}"'
    assert link in world.client_for("staff").get(reverse("resellers:staff-dashboard")).text
    assert link not in world.client_for("admin").get(reverse("resellers:dashboard")).text
    assert link not in world.client_for("customer").get(reverse("customers:portal")).text


def test_inbox_filters_by_recipient_and_status(world):
    sent = MessageFactory(customer=world.a.customer, body="the sent one")
    failed = FailedMessageFactory(customer=world.b.customer, body="the failed one")
    client = world.client_for("staff")
    by_status = client.get(INBOX, {"status": "failed"}).text
    assert "the failed one" in by_status and "the sent one" not in by_status
    by_number = client.get(INBOX, {"recipient": sent.recipient}).text
    assert "the sent one" in by_number and "the failed one" not in by_number
    assert failed.recipient != sent.recipient


@pytest.mark.parametrize(
    "typed", ["+49 179 1234567", "0049 179 1234567", "491791234567", " +49 (179) 123-4567 "]
)
def test_inbox_recipient_filter_reads_the_number_as_the_recharge_form_does(world, typed):
    """ "+49 179 1234567", the format the recharge form suggests, used to find nothing."""
    customer = CustomerFactory(reseller=world.a.reseller, phone="+491791234567")
    MessageFactory(customer=customer, body="to the typed number")
    MessageFactory(customer=world.b.customer, body="to someone else")
    page = world.client_for("staff").get(INBOX, {"recipient": typed})
    assert page.status_code == 200
    assert "to the typed number" in page.text and "to someone else" not in page.text


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("0179 1234567", "Enter the number with its country code, e.g. +49 179 1234567."),
        ("+49 30 1234567", "This is not a mobile number: SMS cannot reach it."),
        ("+49 179", "This is not a valid number"),
        ("abc", "Enter a mobile number: it has no digits."),
    ],
)
def test_inbox_recipient_filter_says_why_a_number_is_not_one(world, typed, reason):
    MessageFactory(customer=world.a.customer, body="should not show")
    page = world.client_for("staff").get(INBOX, {"recipient": typed})
    assert page.status_code == 200
    assert reason in page.text
    assert "should not show" not in page.text


def test_inbox_bad_filter_says_why_and_lists_nothing(world):
    MessageFactory(customer=world.a.customer, body="should not show")
    page = world.client_for("staff").get(INBOX, {"status": "lost"})
    assert page.status_code == 200
    assert "Select a valid choice" in page.text
    assert "should not show" not in page.text


def test_inbox_queries_are_bounded(world, django_assert_max_num_queries):
    _messages_for(world.a, 20)
    _messages_for(world.b, 20, status=Message.Status.FAILED)
    client = world.client_for("staff")
    with django_assert_max_num_queries(15):
        page = client.get(INBOX)
    assert page.text.count("sms/inbox/") >= 25
    with django_assert_max_num_queries(15):
        client.get(INBOX, {"status": "failed", "recipient": "+491791234567", "sort": "reseller"})
    message = Message.objects.first()
    with django_assert_max_num_queries(15):
        client.get(reverse("sms:message-detail", args=[message.pk]))


def test_customer_page_lists_its_messages_with_resend_for_failed(
    world, django_assert_max_num_queries
):
    sent = MessageFactory(customer=world.a.customer, body="Your balance is 10")
    failed = FailedMessageFactory(customer=world.a.customer, body="Your balance is 20")
    _messages_for(world.a, 10)
    MessageFactory(customer=world.b.customer, body="Other tenant text")
    client = world.client_for("user")
    url = reverse("customers:customer-detail", args=[world.a.customer.pk])
    with django_assert_max_num_queries(15):
        page = client.get(url)
    html = page.text
    assert "Your balance is 10" in html and "Your balance is 20" in html
    assert "Other tenant text" not in html
    assert reverse("sms:message-resend", args=[failed.pk]) in html
    assert reverse("sms:message-resend", args=[sent.pk]) not in html
    assert "HTTP 400: bad number" in html


def test_customer_page_does_not_show_the_password_of_the_credentials_sms(world):
    MessageFactory(
        customer=world.a.customer, template="customer_welcome", body="Password: Zx9-secret"
    )
    page = world.client_for("admin").get(
        reverse("customers:customer-detail", args=[world.a.customer.pk])
    )
    assert "Sign-in details" in page.text
    assert "Zx9-secret" not in page.text


def test_user_resends_a_failed_message_of_their_tenant(world, django_capture_on_commit_callbacks):
    failed = FailedMessageFactory(customer=world.a.customer)
    client = world.client_for("user")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = client.post(reverse("sms:message-resend", args=[failed.pk]), follow=True)
    assert len(callbacks) == 1
    assert answer.redirect_chain[-1][0] == reverse(
        "customers:customer-detail", args=[world.a.customer.pk]
    )
    assert "is queued again" in answer.text
    failed.refresh_from_db()
    assert failed.status == Message.Status.SENT
    event = AuditEvent.objects.get(action="sms.message.resent")
    assert event.actor == world.a.user
    assert event.reseller == world.a.reseller


def test_resend_of_another_tenants_message_is_404_and_changes_nothing(world):
    theirs = FailedMessageFactory(customer=world.b.customer)
    answer = world.client_for("admin").post(reverse("sms:message-resend", args=[theirs.pk]))
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Message.Status.FAILED
    assert not AuditEvent.objects.filter(action="sms.message.resent").exists()


def test_resend_of_a_sent_message_says_why_and_changes_nothing(world):
    sent = MessageFactory(customer=world.a.customer, status=Message.Status.SENT, attempts=1)
    answer = world.client_for("admin").post(
        reverse("sms:message-resend", args=[sent.pk]), follow=True
    )
    assert "Only failed messages can be resent; this one is Sent." in answer.text
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == (Message.Status.SENT, 1)


def test_resend_needs_post(world):
    failed = FailedMessageFactory(customer=world.a.customer)
    assert (
        world.client_for("admin").get(reverse("sms:message-resend", args=[failed.pk])).status_code
        == 405
    )
