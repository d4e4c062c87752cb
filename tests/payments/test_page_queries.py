"""The payment lists ask the database a fixed number of times, however many rows they show:
each list is opened with a row of each kind it shows, then with 30 more (more than a page,
asked for on one page), and the second opening may not take more queries than the first.
(Reconciliation's clearing balances cost a query per gateway and currency, not per row.)"""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from django.urls import reverse

from payments.gateways.base import PaymentStatus
from payments.models import Method
from payments.services.topups import Settlement, topup_settle
from tests.page_queries import ROWS, assert_bounded, page_queries
from tests.world import (
    World,
    bank_topup_open,
    build_world,
    card_topup_paid,
    statement_with_a_queued_line,
)

pytestmark = pytest.mark.django_db


def _topups(world, rows: int) -> None:
    """Top-ups of both tenants, of every kind the lists show: paid by card (with who opened
    it) and open bank transfers."""
    for number in range(rows):
        tenant = (world.a, world.b)[number % 3 == 2]
        if number % 2:
            card_topup_paid(tenant.reseller, tenant.admin, net=f"{20 + number}.00")
        else:
            bank_topup_open(tenant.reseller, tenant.admin, net=f"{20 + number}.00")


def _mismatched(world, rows: int) -> None:
    """Card top-ups the provider says were paid with a different amount: each one needs
    attention and leaves a rejected event (with its top-up and reseller on the page)."""
    for number in range(rows):
        tenant = (world.a, world.b)[number % 2]
        topup = bank_topup_open(tenant.reseller, tenant.admin, net=f"{40 + number}.00")
        topup_settle(
            topup_id=topup.pk,
            settlement=Settlement(
                source="reconcile",
                status=PaymentStatus.PAID,
                amount=topup.gross - Decimal("1.00"),
                currency=topup.currency,
            ),
        )


def _unsigned_webhooks(client, rows: int) -> None:
    for number in range(rows):
        client.post(
            reverse("payments:webhook-paypal"),
            f'{{"id": "WH-{uuid4()}", "event_type": "PAYMENT.CAPTURE.COMPLETED", "n": {number}}}',
            content_type="application/json",
        )


def test_reseller_payments_list(world, django_assert_max_num_queries):
    client = world.client_for("accountant", world.a)
    url = reverse("payments:topup-list")
    assert_bounded(client, url, lambda rows: _topups(world, rows), django_assert_max_num_queries)


def test_staff_payments_list(world, django_assert_max_num_queries):
    client = world.client_for("staff")
    assert_bounded(
        client,
        reverse("payments:staff-topup-list"),
        lambda rows: _topups(world, rows),
        django_assert_max_num_queries,
    )


def test_staff_payments_list_filtered_by_method(world, django_assert_max_num_queries):
    client = world.client_for("staff")
    url = reverse("payments:staff-topup-list") + f"?method={Method.STRIPE}"
    _topups(world, 2)
    first = page_queries(client, url)
    _topups(world, ROWS)
    with django_assert_max_num_queries(first):
        assert client.get(url, {"per_page": 100}).status_code == 200


def test_reconciliation(world, django_assert_max_num_queries):
    client = world.client_for("staff")

    def rows(count):
        _mismatched(world, count)
        _unsigned_webhooks(world.client_for("anonymous"), count)

    assert_bounded(
        client, reverse("payments:staff-reconciliation"), rows, django_assert_max_num_queries
    )


def test_statement_queue(world, django_assert_max_num_queries):
    client = world.client_for("staff")

    def rows(count):
        """Lines nobody fits, and lines paying part of a tenant's bank transfer (their
        candidate top-up and its reseller are on the page)."""
        for number in range(count):
            tenant = (world.a, world.b)[number % 2]
            topup = bank_topup_open(tenant.reseller, tenant.admin, net=f"{100 + number}.00")
            statement_with_a_queued_line(world.staff, amount=f"{number + 1},11")
            statement_with_a_queued_line(
                world.staff, amount=f"{number + 2},22", reference=topup.reference
            )

    assert_bounded(
        client, reverse("payments:staff-statement-queue"), rows, django_assert_max_num_queries
    )


@pytest.fixture
def world(db) -> World:
    """The two-tenant world with its payments (top-ups, a refund, a statement line)."""
    return build_world(payments=True)
