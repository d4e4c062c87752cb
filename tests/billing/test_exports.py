"""The month export: exactly the month's invoices and credit notes of the reseller (every
reseller's for staff), each as PDF and XML, and a journal Excel opens in de/pl; its progress
moves as it is built; asking twice while one is pending gives the same export."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from billing.models import InvoiceExport
from billing.selectors import EXPORT_STALE_AFTER
from billing.services.exports import (
    BOM,
    JOURNAL,
    InvoiceExportError,
    invoice_export_build,
    invoice_export_create,
    journal_header,
)
from tests.billing.helpers import (
    document_for,
    invoice_open,
    invoice_paid,
    issued_on,
    last_month_day,
)


def _month():
    return timezone.localdate().replace(day=1)


def _zip(export: InvoiceExport) -> zipfile.ZipFile:
    export.refresh_from_db()
    assert export.status == InvoiceExport.Status.READY, export.error
    data = bytes(export.archive)
    assert export.sha256 == hashlib.sha256(data).hexdigest()
    return zipfile.ZipFile(io.BytesIO(data))


def _journal(archive: zipfile.ZipFile) -> list[list[str]]:
    raw = archive.read(JOURNAL)
    assert raw.startswith(BOM.encode("utf-8")), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def _rendered_credit_note(world):
    document_for(world.a.credit_note, pdf=b"%PDF-1.7 credit note")
    return world.a.credit_note


def _amount(text: str) -> Decimal:
    assert re.fullmatch(r"-?\d+,\d\d", text), text
    return Decimal(text.replace(",", "."))


def test_the_zip_holds_exactly_the_months_documents_of_the_reseller(world):
    note = _rendered_credit_note(world)
    last_month = issued_on(invoice_paid(world.a.reseller, net="30.00"), last_month_day())
    document_for(last_month)
    document_for(world.b.credit_note)  # the other tenant's documents are all rendered too
    export = invoice_export_create(reseller=world.a.reseller, month=_month(), actor=world.a.admin)
    invoice_export_build(export_id=export.pk)
    archive = _zip(export)
    numbers = [world.a.invoice.number, note.number]
    expected = {f"{n}.{ext}" for n in numbers for ext in ("pdf", "xml")} | {JOURNAL}
    assert set(archive.namelist()) == expected
    assert archive.read(f"{world.a.invoice.number}.pdf") == b"%PDF-1.7 world"
    assert archive.read(f"{note.number}.pdf") == b"%PDF-1.7 credit note"
    export.refresh_from_db()
    assert (export.total, export.done, export.percent) == (2, 2, 100)


def test_the_journal_rows_and_sums(world):
    note = _rendered_credit_note(world)
    export = invoice_export_create(reseller=world.a.reseller, month=_month(), actor=world.a.admin)
    invoice_export_build(export_id=export.pk)
    header, *rows = _journal(_zip(export))
    assert len(header) == 18 and header[0] == "Number" and header[-1] == "SHA-256 of the PDF"
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_number) == {world.a.invoice.number, note.number}
    invoice_row, note_row = by_number[world.a.invoice.number], by_number[note.number]
    assert invoice_row["Kind"] == "Invoice" and note_row["Kind"] == "Credit note"
    assert _amount(invoice_row["Net"]) == Decimal("100.00")
    assert _amount(invoice_row["VAT"]) == Decimal("19.00")
    assert _amount(invoice_row["Gross"]) == Decimal("119.00")
    assert _amount(note_row["Gross"]) == Decimal("-10.00")
    assert sum(_amount(row["Gross"]) for row in by_number.values()) == Decimal("109.00")
    assert sum(_amount(row["Net"]) for row in by_number.values()) == Decimal("91.60")
    assert invoice_row["VAT rate (%)"] == "19"
    assert invoice_row["Issue date"] == timezone.localdate().isoformat()
    assert invoice_row["Buyer"] == world.a.reseller.legal_name
    assert invoice_row["Buyer country"] == "DE"
    assert invoice_row["VAT treatment"] == "Domestic VAT"
    assert invoice_row["Payment"] == "Paid" and invoice_row["Payment method"] == "Card"
    assert invoice_row["Payment reference"] == world.a.invoice.payment_reference
    assert note_row["Corrects invoice"] == world.a.invoice.number
    assert invoice_row["Corrects invoice"] == ""
    assert invoice_row["SHA-256 of the PDF"] == hashlib.sha256(b"%PDF-1.7 world").hexdigest()


def test_the_journal_header_is_in_the_requesters_language(world):
    _rendered_credit_note(world)
    world.a.accountant.language = "de"
    world.a.accountant.save(update_fields=["language"])
    export = invoice_export_create(
        reseller=world.a.reseller, month=_month(), actor=world.a.accountant
    )
    invoice_export_build(export_id=export.pk)
    header, *_rows = _journal(_zip(export))
    with translation.override("de"):
        assert header == journal_header()


def test_staff_export_holds_every_reseller(world, django_capture_on_commit_callbacks):
    for tenant in (world.a, world.b):
        document_for(tenant.credit_note)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        export = invoice_export_create(reseller=None, month=_month(), actor=world.staff)
    assert len(callbacks) == 1, "the build is enqueued once, after commit"
    names = set(_zip(export).namelist())
    for tenant in (world.a, world.b):
        assert {f"{tenant.invoice.number}.pdf", f"{tenant.credit_note.number}.xml"} <= names
    assert len(names) == 9


def test_progress_is_saved_every_ten_documents(world):
    for number in range(23):
        document_for(invoice_paid(world.b.reseller, net=f"{10 + number}.00"))
    document_for(world.b.credit_note)
    export = invoice_export_create(reseller=world.b.reseller, month=_month(), actor=world.b.admin)
    with CaptureQueriesContext(connection) as queries:
        invoice_export_build(export_id=export.pk)
    progress = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "billing_invoiceexport" SET "done"')
    ]
    assert len(progress) == 2, "saved after 10 and 20 of 25 documents"
    export.refresh_from_db()
    assert (export.total, export.done) == (25, 25)
    assert len(_zip(export).namelist()) == 51


def test_asking_twice_while_pending_gives_the_same_export(world):
    first = invoice_export_create(reseller=world.a.reseller, month=_month(), actor=world.a.admin)
    again = invoice_export_create(
        reseller=world.a.reseller, month=timezone.localdate(), actor=world.a.accountant
    )
    assert again.pk == first.pk and first.status == InvoiceExport.Status.QUEUED
    other_month = invoice_export_create(
        reseller=world.a.reseller, month=last_month_day(), actor=world.a.admin
    )
    other_tenant = invoice_export_create(
        reseller=world.b.reseller, month=_month(), actor=world.b.admin
    )
    everyone = invoice_export_create(reseller=None, month=_month(), actor=world.staff)
    assert len({first.pk, other_month.pk, other_tenant.pk, everyone.pk}) == 4
    _rendered_credit_note(world)
    invoice_export_build(export_id=first.pk)
    later = invoice_export_create(reseller=world.a.reseller, month=_month(), actor=world.a.admin)
    assert later.pk != first.pk, "a ready export is not reused: the month may have changed"


def test_a_month_that_has_not_begun_is_refused(world):
    next_month = (_month() + timezone.timedelta(days=40)).replace(day=1)
    with pytest.raises(InvoiceExportError) as caught:
        invoice_export_create(reseller=world.a.reseller, month=next_month, actor=world.a.admin)
    assert caught.value.code == "month-in-future" and caught.value.field == "month"
    assert not InvoiceExport.objects.filter(month=next_month).exists()


def test_a_finished_export_is_not_built_again(world):
    _rendered_credit_note(world)
    export = invoice_export_create(reseller=world.a.reseller, month=_month(), actor=world.a.admin)
    invoice_export_build(export_id=export.pk)
    export.refresh_from_db()
    sha = export.sha256
    invoice_open(world.a.reseller)  # a new invoice after the build: the ZIP stays as it was
    assert invoice_export_build(export_id=export.pk).sha256 == sha
    assert invoice_export_build(export_id=export.pk).total == 2


def test_an_empty_month_gives_a_journal_with_its_header_only(world):
    export = invoice_export_create(
        reseller=world.a.reseller, month=last_month_day(), actor=world.a.admin
    )
    invoice_export_build(export_id=export.pk)
    archive = _zip(export)
    assert archive.namelist() == [JOURNAL]
    assert len(_journal(archive)) == 1


def test_an_export_lost_on_its_way_to_a_worker_does_not_block_the_month(world):
    """Its task never reached a worker (the broker was down): after EXPORT_STALE_AFTER a new
    request starts a new export instead of pointing at the lost one for ever."""
    lost = invoice_export_create(reseller=world.a.reseller, month=_month(), actor=world.a.admin)
    InvoiceExport.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - EXPORT_STALE_AFTER - timezone.timedelta(minutes=1)
    )
    again = invoice_export_create(reseller=world.a.reseller, month=_month(), actor=world.a.admin)
    assert again.pk != lost.pk and again.status == InvoiceExport.Status.QUEUED
