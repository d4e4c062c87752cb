"""The delivery state machine, with tasks run eagerly against the fake gateway."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from sms.checks import sending_lease_check
from sms.delivery import message_deliver, retry_delay
from sms.models import Message
from sms.services import message_queue, message_resend
from sms.tasks import message_send, messages_resend_stuck
from tests.factories import CustomerFactory, UserFactory
from tests.sms.factories import MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)

RECHARGED = {"amount": "10", "balance": "25", "currency": "EUR", "reseller_name": "Kiosk"}


def _queue(customer, count: int = 1) -> list[Message]:
    with transaction.atomic():
        return [
            message_queue(
                reseller=customer.reseller,
                recipient=customer.phone,
                template="customer_recharged",
                context=RECHARGED,
                customer=customer,
            )
            for _ in range(count)
        ]


def _fresh(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


def test_sent_by_the_gateway_after_commit(gateway):
    [message] = _queue(CustomerFactory())
    message = _fresh(message)
    assert message.status == Message.Status.SENT
    assert message.backend == "http"
    assert message.provider_message_id.startswith(f"gw-{message.reference}-")
    assert gateway.accepted_per_reference() == {str(message.reference): 1}


def test_transient_failure_keeps_it_queued_with_growing_backoff(gateway, settings):
    settings.SMS_RETRY_BASE_SECONDS = 30
    gateway.mode = "down"
    [message] = _queue(CustomerFactory())
    first = _fresh(message)
    assert (first.status, first.attempts) == (Message.Status.QUEUED, 1)
    assert first.last_error.startswith("HTTP 503")
    wait = (first.next_attempt_at - first.updated_at).total_seconds()
    assert 29 <= wait <= 31
    assert message_send.delay(message.pk).get() == Message.Status.QUEUED
    second = _fresh(message)
    assert second.attempts == 2
    assert 59 <= (second.next_attempt_at - second.updated_at).total_seconds() <= 61


def test_backoff_is_exponential_and_capped(settings):
    settings.SMS_RETRY_BASE_SECONDS, settings.SMS_RETRY_MAX_SECONDS = 30, 600
    assert [retry_delay(n) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


def test_transient_failures_give_up_after_max_attempts(gateway, settings):
    settings.SMS_MAX_ATTEMPTS = 3
    gateway.mode = "down"
    [message] = _queue(CustomerFactory())
    message_send.delay(message.pk)
    assert message_send.delay(message.pk).get() == Message.Status.FAILED
    failed = _fresh(message)
    assert (failed.status, failed.attempts) == (Message.Status.FAILED, 3)
    assert failed.next_attempt_at is None
    assert AuditEvent.objects.filter(action="sms.message.failed", object_id=str(failed.pk)).count()
    # A failed message is not picked up by a late retry.
    assert message_send.delay(message.pk).get() == Message.Status.FAILED
    assert len(gateway.requests) == 3


def test_gateway_down_then_back_delivers_all_once(gateway):
    """503 for a while: every message is retried and delivered once the gateway is back,
    none lost, none twice — even when a retry and the beat job both fire for a message."""
    gateway.mode = "down"
    messages = _queue(CustomerFactory(), count=12)
    assert {_fresh(m).status for m in messages} == {Message.Status.QUEUED}
    assert gateway.accepted() == []
    gateway.mode = "ok"
    for message in messages:  # the countdown retry fires ...
        message_send.delay(message.pk)
    for message in messages:  # ... and a duplicate (the beat job, a redelivered task)
        message_send.delay(message.pk)
    assert {_fresh(m).status for m in messages} == {Message.Status.SENT}
    assert gateway.accepted_per_reference() == {str(m.reference): 1 for m in messages}


def test_rejected_message_fails_at_once_and_resend_delivers_it(gateway):
    gateway.mode = "reject"
    [message] = _queue(CustomerFactory())
    failed = _fresh(message)
    assert (failed.status, failed.attempts) == (Message.Status.FAILED, 1)
    assert failed.last_error.startswith("HTTP 400")
    gateway.mode = "ok"
    message_resend(message=failed, actor=UserFactory())
    sent = _fresh(message)
    assert sent.status == Message.Status.SENT
    assert sent.last_error == ""
    assert gateway.accepted_per_reference() == {str(message.reference): 1}


def test_a_sent_message_is_never_sent_again(gateway):
    [message] = _queue(CustomerFactory())
    assert message_send.delay(message.pk).get() == Message.Status.SENT
    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    assert messages_resend_stuck.delay().get() == 0
    assert len(gateway.requests) == 1


@pytest.mark.slow
def test_two_workers_at_once_send_it_once(gateway):
    gateway.mode, gateway.delay = "slow", 0.5
    message = MessageFactory(backend="http")
    results = []

    def deliver():
        try:
            results.append(message_deliver(message_id=message.pk).status)
        finally:
            connection.close()

    workers = [threading.Thread(target=deliver) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert results.count(Message.Status.SENT) >= 1
    assert len(gateway.requests) == 1
    assert _fresh(message).status == Message.Status.SENT


def test_missing_message_is_skipped():
    assert message_send.delay(987654321).get() == "missing"


def test_stuck_messages_are_sent_by_the_beat_job(settings):
    settings.SMS_STUCK_AFTER_SECONDS = 300
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    just_now = timezone.now() - dt.timedelta(seconds=30)
    stuck_sending = MessageFactory(status=Message.Status.SENDING, attempts=1)
    stuck_queued = MessageFactory(status=Message.Status.QUEUED)
    lost_retry = MessageFactory(status=Message.Status.QUEUED, attempts=2)
    busy = MessageFactory(status=Message.Status.SENDING, attempts=1)
    waiting = MessageFactory(status=Message.Status.QUEUED, attempts=1)
    failed = MessageFactory(status=Message.Status.FAILED)
    Message.objects.filter(pk__in=[stuck_sending.pk, stuck_queued.pk, failed.pk]).update(
        updated_at=long_ago
    )
    Message.objects.filter(pk=lost_retry.pk).update(updated_at=long_ago, next_attempt_at=long_ago)
    Message.objects.filter(pk=busy.pk).update(updated_at=just_now)
    # waiting: its retry is due in the future, so it is not stuck
    Message.objects.filter(pk=waiting.pk).update(
        updated_at=long_ago, next_attempt_at=timezone.now() + dt.timedelta(minutes=5)
    )

    assert messages_resend_stuck.delay().get() == 3

    assert _fresh(stuck_sending).status == Message.Status.SENT
    assert _fresh(stuck_sending).attempts == 2
    assert _fresh(stuck_queued).status == Message.Status.SENT
    assert _fresh(lost_retry).status == Message.Status.SENT
    assert _fresh(busy).status == Message.Status.SENDING
    assert _fresh(waiting).status == Message.Status.QUEUED
    assert _fresh(failed).status == Message.Status.FAILED


def test_beat_schedule_runs_the_stuck_job(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sms-resend-stuck"]
    assert entry["task"] == messages_resend_stuck.name


def _aged(message: Message, *, status: str, seconds: int) -> None:
    Message.objects.filter(pk=message.pk).update(
        status=status, updated_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


def test_a_message_left_sending_is_sent_again_after_the_short_lease(gateway, settings):
    """A worker killed mid-send leaves it "sending": retried after SMS_SENDING_LEASE_SECONDS
    (45 by default), not after the 300 s queued messages wait."""
    assert settings.SMS_SENDING_LEASE_SECONDS <= 60 < settings.SMS_STUCK_AFTER_SECONDS
    settings.SMS_SENDING_LEASE_SECONDS = 40
    sending, queued = MessageFactory(backend="http"), MessageFactory(backend="http")
    _aged(sending, status=Message.Status.SENDING, seconds=30)
    _aged(queued, status=Message.Status.QUEUED, seconds=50)
    assert messages_resend_stuck.delay().get() == 0  # within the lease; queued keeps 300 s
    _aged(sending, status=Message.Status.SENDING, seconds=50)
    assert messages_resend_stuck.delay().get() == 1
    assert _fresh(sending).status == Message.Status.SENT
    assert _fresh(queued).status == Message.Status.QUEUED
    _aged(queued, status=Message.Status.QUEUED, seconds=301)
    assert messages_resend_stuck.delay().get() == 1
    assert [r.payload["reference"] for r in gateway.requests] == [
        str(sending.reference),
        str(queued.reference),
    ]


def test_a_retry_carries_the_same_reference_and_the_gateway_drops_the_duplicate(gateway):
    """The gateway accepted it but the answer was lost (the worker died): the retry has the
    same reference, so the fake (as the README's contract asks) answers with the first id and
    delivers nothing again."""
    message = MessageFactory(backend="http")
    assert message_deliver(message_id=message.pk).status == Message.Status.SENT
    first_id = _fresh(message).provider_message_id
    Message.objects.filter(pk=message.pk).update(status=Message.Status.QUEUED)  # as if lost
    assert message_deliver(message_id=message.pk).status == Message.Status.SENT
    assert _fresh(message).provider_message_id == first_id
    references = [r.payload["reference"] for r in gateway.requests]
    assert references == [str(message.reference)] * 2
    assert [r.duplicate for r in gateway.requests] == [False, True]
    assert gateway.delivered() == {str(message.reference): 1}


def test_the_sending_lease_must_outlast_a_send(settings):
    settings.SMS_HTTP_TIMEOUT, settings.SMS_SENDING_LEASE_SECONDS = 10.0, 45
    assert sending_lease_check() == []
    settings.SMS_SENDING_LEASE_SECONDS = 20
    (warning,) = sending_lease_check()
    assert warning.id == "sms.W001"
