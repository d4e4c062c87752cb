"""Invoice reads: a tenant finds only its own invoices, documents and exports; the filters
(payment status, kind, month, dates, search) find what they say; staff see every reseller."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import selectors
from billing.models import Invoice, InvoiceDocument, InvoiceExport
from billing.services.invoices import LineSpec
from tests.billing.helpers import (
    credit_note,
    invoice_open,
    invoice_paid,
    issued_on,
    last_month_day,
)


def _numbers(rows) -> set[str]:
    return {row.number for row in rows}


def test_a_tenant_lists_only_its_own_invoices(world):
    mine = _numbers(selectors.invoice_list(reseller=world.a.reseller))
    assert mine == {world.a.invoice.number, world.a.credit_note.number}
    assert world.b.invoice.number not in mine


def test_another_tenants_invoice_is_not_found(world):
    with pytest.raises(Invoice.DoesNotExist):
        selectors.invoice_get(reseller=world.a.reseller, pk=world.b.invoice.pk)
    with pytest.raises(InvoiceDocument.DoesNotExist):
        selectors.invoice_document_get(reseller=world.a.reseller, pk=world.b.invoice.pk)
    own = selectors.invoice_get(reseller=world.a.reseller, pk=world.a.invoice.pk)
    assert own.has_document is True


def test_a_document_is_found_only_once_rendered(world):
    with pytest.raises(InvoiceDocument.DoesNotExist):
        selectors.invoice_document_get(reseller=world.a.reseller, pk=world.a.credit_note.pk)
    document = selectors.invoice_document_get(reseller=world.a.reseller, pk=world.a.invoice.pk)
    assert bytes(document.pdf).startswith(b"%PDF")
    note = selectors.invoice_get(reseller=world.a.reseller, pk=world.a.credit_note.pk)
    assert note.has_document is False
    assert note.credited_invoice == world.a.invoice


def test_payment_status_filter_tells_open_from_overdue(world):
    reseller = world.a.reseller
    still_open = invoice_open(reseller, due_days=14)
    overdue = invoice_open(reseller, due_days=14)
    Invoice.objects.filter(pk=overdue.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert _numbers(selectors.invoice_list(reseller=reseller, status="open")) == {still_open.number}
    assert _numbers(selectors.invoice_list(reseller=reseller, status="overdue")) == {overdue.number}
    assert _numbers(selectors.invoice_list(reseller=reseller, status="paid")) == {
        world.a.invoice.number,
        world.a.credit_note.number,
    }
    overdue.refresh_from_db()
    assert overdue.shown_payment == Invoice.Payment.OVERDUE


def test_kind_month_dates_and_search(world):
    reseller = world.a.reseller
    old = issued_on(invoice_paid(reseller, net="20.00"), last_month_day())
    referenced = invoice_open(reseller, payment_reference="RF18TESSERA42")
    this_month = timezone.localdate().replace(day=1)
    rows = selectors.invoice_list(reseller=reseller, kind=Invoice.Kind.CREDIT_NOTE)
    assert _numbers(rows) == {world.a.credit_note.number}
    assert old.number not in _numbers(selectors.invoice_list(reseller=reseller, month=this_month))
    assert _numbers(selectors.invoice_list(reseller=reseller, month=old.issue_date)) == {old.number}
    rows = selectors.invoice_list(reseller=reseller, date_to=old.issue_date)
    assert _numbers(rows) == {old.number}
    rows = selectors.invoice_list(reseller=reseller, date_from=this_month)
    assert old.number not in _numbers(rows) and referenced.number in _numbers(rows)
    assert _numbers(selectors.invoice_list(reseller=reseller, search="tessera42")) == {
        referenced.number
    }
    assert _numbers(selectors.invoice_list(reseller=reseller, search=old.number)) == {old.number}
    # The buyer's name finds the tenant's own invoices, never another tenant's.
    rows = selectors.invoice_list(reseller=reseller, search=world.b.reseller.legal_name)
    assert not rows.exists()


def test_staff_see_every_reseller(world):
    everyone = _numbers(selectors.staff_invoice_list())
    assert {world.a.invoice.number, world.b.invoice.number} <= everyone
    one = _numbers(selectors.staff_invoice_list(reseller=world.b.reseller))
    assert one == {world.b.invoice.number, world.b.credit_note.number}
    assert set(selectors.staff_invoice_resellers()) == {world.a.reseller, world.b.reseller}


def test_exports_are_scoped_and_the_operators_only_for_staff(world):
    operators = InvoiceExport.objects.create(reseller=None, month=timezone.localdate())
    assert list(selectors.export_list(reseller=world.a.reseller)) == [world.a.invoice_export]
    with pytest.raises(InvoiceExport.DoesNotExist):
        selectors.export_get(reseller=world.a.reseller, pk=world.b.invoice_export.pk)
    with pytest.raises(InvoiceExport.DoesNotExist):
        selectors.export_archive_get(reseller=world.a.reseller, pk=operators.pk)
    staff = set(selectors.staff_export_list())
    assert {operators, world.a.invoice_export, world.b.invoice_export} <= staff


def test_vat_groups_sum_per_rate(world):
    reseller = world.a.reseller
    invoice = invoice_open(
        reseller,
        lines=[
            LineSpec("Credit", Decimal("10.00")),
            LineSpec("More credit", Decimal("5.55"), quantity=Decimal(2)),
        ],
    )
    lines = list(selectors.invoice_lines(invoice=invoice))
    (group,) = selectors.invoice_vat_groups(lines)
    assert group.rate == Decimal("19.00") and group.net == Decimal("21.10")
    assert group.vat == invoice.total_vat
    assert selectors.invoice_credit_notes(invoice=world.a.invoice).get() == world.a.credit_note
    assert credit_note(invoice, net="1.00", vat="0.19").credited_invoice == invoice
