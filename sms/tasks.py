"""SMS delivery tasks: thin, take ids, call services."""

from __future__ import annotations

from celery import shared_task

from sms.delivery import message_deliver, messages_requeue_stuck


@shared_task(bind=True, acks_late=True, ignore_result=True)
def message_send(self, message_id: int) -> str:
    """Send one message; a transient failure is tried again later with exponential backoff
    (the delay is kept on the row, so the beat job finds a retry that got lost)."""
    delivery = message_deliver(message_id=message_id)
    if delivery.retry_in is not None and not self.request.is_eager:
        message_send.apply_async((message_id,), countdown=delivery.retry_in)
    return delivery.status


@shared_task(acks_late=True, ignore_result=True)
def messages_resend_stuck() -> int:
    """Beat job: send again what has been queued or sending for too long."""
    ids = messages_requeue_stuck()
    for message_id in ids:
        message_send.delay(message_id)
    return len(ids)
