"""E-mail leaves the request: allauth's messages are sent by a Celery task after commit."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMultiAlternatives, get_connection


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def email_send(self, message: dict) -> None:
    """Send one message described by plain JSON fields (see `accounts.adapters`)."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        cc=message.get("cc") or None,
        bcc=message.get("bcc") or None,
        reply_to=message.get("reply_to") or None,
        headers=message.get("headers") or None,
        connection=get_connection(),
    )
    for content, mimetype in message.get("alternatives", []):
        email.attach_alternative(content, mimetype)
    email.send()
