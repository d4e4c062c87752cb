"""The invoice pages ask the database a fixed number of times, however many rows they show
(as tests/payments/test_page_queries.py): each is opened with a row of each kind, then with
30 more, and the second opening may not take more queries than the first."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import InvoiceExport
from tests.billing.helpers import credit_note, document_for, invoice_open, invoice_paid
from tests.page_queries import CEILING, ROWS, assert_bounded, page_queries

pytestmark = pytest.mark.django_db


def _invoices(world, rows: int) -> None:
    """Of both tenants and every kind the lists show: paid and rendered, open, credit notes."""
    for number in range(rows):
        tenant = (world.a, world.b)[number % 3 == 2]
        if number % 2:
            invoice = invoice_paid(tenant.reseller, net=f"{20 + number}.00")
            document_for(invoice)
            credit_note(invoice, net="1.00", vat="0.19")
        else:
            invoice_open(tenant.reseller, net=f"{20 + number}.00")


def _exports(world, rows: int) -> None:
    """Tenant A's (queued, being built, ready) and the operator's of every reseller; the
    pages show the 20 most recent."""
    for number in range(rows):
        InvoiceExport.objects.create(
            reseller=world.a.reseller if number % 3 else None,
            requested_by=world.a.accountant if number % 3 else world.staff,
            month=timezone.localdate().replace(day=1),
            status=InvoiceExport.Status.READY if number % 2 else InvoiceExport.Status.RUNNING,
            archive=b"zip",
            total=3,
        )


def test_reseller_invoice_list(world, django_assert_max_num_queries):
    client = world.client_for("accountant", world.a)
    url = reverse("billing:invoice-list")
    assert_bounded(client, url, lambda rows: _invoices(world, rows), django_assert_max_num_queries)


def test_staff_invoice_list(world, django_assert_max_num_queries):
    client = world.client_for("staff")
    url = reverse("billing:staff-invoice-list") + "?status=paid"
    assert_bounded(client, url, lambda rows: _invoices(world, rows), django_assert_max_num_queries)


def test_invoice_detail_with_many_credit_notes(world, django_assert_max_num_queries):
    client = world.client_for("admin", world.a)
    invoice = invoice_paid(world.a.reseller, net="500.00")
    url = reverse("billing:invoice-detail", args=[invoice.pk])
    credit_note(invoice, net="1.00", vat="0.19")
    first = page_queries(client, url)
    assert first <= CEILING
    for _ in range(ROWS):
        credit_note(invoice, net="1.00", vat="0.19")
    with django_assert_max_num_queries(first):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("role", "name"),
    [("accountant", "billing:export-list"), ("staff", "billing:staff-export-list")],
)
def test_export_lists(world, role, name, django_assert_max_num_queries):
    client = world.client_for(role, world.a)
    assert_bounded(
        client, reverse(name), lambda rows: _exports(world, rows), django_assert_max_num_queries
    )
