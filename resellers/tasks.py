"""Background work on resellers: the daily staff reminder of old applications."""

from __future__ import annotations

from celery import shared_task

from resellers.services import onboarding


@shared_task(acks_late=True)
def application_reminders_send() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): remind staff of applications older than 7 days."""
    return onboarding.application_reminders_send()
