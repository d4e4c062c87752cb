"""Reads on the SMS outbox. Tenant reads take the reseller first; the inbox is for staff."""

from __future__ import annotations

from django.db.models import QuerySet

from sms.models import Message


def message_list_for_customer(*, reseller, customer) -> QuerySet[Message]:
    """The messages a reseller sent to one customer, newest first."""
    return Message.objects.filter(reseller=reseller, customer=customer).order_by(
        "-created_at", "-id"
    )


def message_get_for_reseller(*, reseller, pk: int) -> Message:
    """One of the reseller's messages; Message.DoesNotExist for another tenant's id."""
    return Message.objects.get(reseller=reseller, pk=pk)


def message_inbox(*, filters: dict | None = None) -> QuerySet[Message]:
    """Every message, newest first (the database backend's inbox, for staff or in DEBUG).

    filters: recipient (a number in E.164, as sms.filters.InboxFilter reads it), status,
    reseller (id)."""
    filters = filters or {}
    messages = Message.objects.select_related("reseller", "customer").order_by("-created_at", "-id")
    if filters.get("recipient"):
        messages = messages.filter(recipient=filters["recipient"])
    if filters.get("status"):
        messages = messages.filter(status=filters["status"])
    if filters.get("reseller"):
        messages = messages.filter(reseller_id=filters["reseller"])
    return messages


def message_list(*, reseller) -> QuerySet[Message]:
    """All messages a reseller sent, newest first."""
    return Message.objects.filter(reseller=reseller).order_by("-created_at", "-id")
