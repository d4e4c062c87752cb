"""sms.sql: the delivery's written-out statements do what their ORM equivalents do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from resellers.models import Branding
from sms.models import Message
from sms.sql import CLAIM, FOR_DELIVERY, SENT
from tests.sms.factories import MessageFactory

pytestmark = pytest.mark.django_db

Status = Message.Status


def _row(message: Message) -> dict:
    message.refresh_from_db()
    fields = Message._meta.concrete_fields
    # The twins differ in their id and their reference (unique), alike in all else.
    return {
        f.attname: getattr(message, f.attname)
        for f in fields
        if not f.primary_key and f.name != "reference"
    }


def _twins(**fields) -> tuple[Message, Message]:
    """Two messages alike in every column but the id."""
    first = MessageFactory(**fields)
    second = MessageFactory(customer=first.customer, **fields)
    created = timezone.now() - dt.timedelta(minutes=5)
    Message.objects.filter(pk__in=[first.pk, second.pk]).update(
        created_at=created, updated_at=created
    )
    return first, second


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@pytest.mark.parametrize("status", list(Status))
def test_claim_is_the_orms_compare_and_set(status):
    raw, orm = _twins(status=status, attempts=2, last_error="HTTP 503")
    now = timezone.now()
    changed = _execute(
        CLAIM,
        [
            Status.SENDING,
            "http",
            connection.ops.adapt_datetimefield_value(now),  # as sms.services sends it
            raw.pk,
            Status.QUEUED,
        ],
    )
    expected = Message.objects.filter(pk=orm.pk, status=Status.QUEUED).update(
        status=Status.SENDING, attempts=F("attempts") + 1, backend="http", updated_at=now
    )
    assert changed == expected == (1 if status == Status.QUEUED else 0)
    assert _row(raw) == _row(orm)


@pytest.mark.parametrize("status", list(Status))
def test_sent_is_the_orms_update_of_a_message_not_sent_yet(status):
    retry_at = timezone.now() + dt.timedelta(minutes=1)
    raw, orm = _twins(
        status=status,
        attempts=1,
        last_error="timeout",
        next_attempt_at=retry_at,
        masked=True,
        secret_body="Password: Zx9-secret",
    )
    now = timezone.now()
    adapted = connection.ops.adapt_datetimefield_value(now)
    changed = _execute(SENT, [Status.SENT, "gw-42", adapted, "", adapted, raw.pk, Status.SENT])
    expected = (
        Message.objects.filter(pk=orm.pk)
        .exclude(status=Status.SENT)
        .update(
            status=Status.SENT,
            provider_message_id="gw-42",
            sent_at=now,
            next_attempt_at=None,
            last_error="",
            secret_body="",
            updated_at=now,
        )
    )
    assert changed == expected == (0 if status == Status.SENT else 1)
    assert _row(raw) == _row(orm)


@pytest.mark.parametrize("display_name", [None, "", "Späti 24"])
def test_for_delivery_is_the_message_with_its_resellers_names(display_name):
    message = MessageFactory(status=Status.SENDING, attempts=1, provider_message_id="x")
    MessageFactory()  # another reseller's
    if display_name is not None:
        Branding.objects.create(reseller=message.reseller, display_name=display_name)
    (raw,) = Message.objects.raw(FOR_DELIVERY, [message.pk])
    orm = Message.objects.select_related("reseller__branding").get(pk=message.pk)
    fields = Message._meta.concrete_fields
    assert [getattr(raw, f.attname) for f in fields] == [getattr(orm, f.attname) for f in fields]
    branding = getattr(orm.reseller, "branding", None)
    assert raw.sender_reseller_name == orm.reseller.name
    assert raw.sender_display_name == (branding.display_name if branding else None)
