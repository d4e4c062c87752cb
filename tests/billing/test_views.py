"""The invoice pages: list with its filters and search, the detail with everything a person
needs, the downloads (attachment, named by number, 404 until rendered), the month exports;
another tenant's ids are 404 on every URL, and only the Admin and Accountant get in."""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice, InvoiceExport
from billing.services.exports import invoice_export_build
from tests.billing.helpers import document_for, invoice_open

HTMX = {"HTTP_HX_REQUEST": "true"}
INVOICE_URLS = ("billing:invoice-detail", "billing:invoice-pdf", "billing:invoice-xml")
EXPORT_URLS = ("billing:export-detail", "billing:export-download")


def _page(answer) -> str:
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


def test_the_list_shows_the_tenants_invoices(world):
    page = _page(world.client_for("accountant").get(reverse("billing:invoice-list")))
    assert world.a.invoice.number in page and world.a.credit_note.number in page
    assert world.b.invoice.number not in page
    assert "119.00" in page or "119,00" in page
    assert "Being prepared" in page and "Ready" in page


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ({"kind": "credit_note"}, {"credit_note"}),
        ({"status": "paid"}, {"invoice", "credit_note"}),
        ({"status": "open"}, {"open"}),
        ({"status": "overdue"}, {"overdue"}),
        ({"q": "RF77SEARCHME"}, {"open"}),
        ({"month": "2020-01"}, set()),
        ({"date_from": "2020-01-01", "date_to": "2020-12-31"}, set()),
    ],
)
def test_list_filters(world, query, expect):
    reseller = world.a.reseller
    rows = {
        "invoice": world.a.invoice,
        "credit_note": world.a.credit_note,
        "open": invoice_open(reseller, payment_reference="RF77SEARCHME"),
        "overdue": invoice_open(reseller),
    }
    Invoice.objects.filter(pk=rows["overdue"].pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    page = _page(world.client_for("admin").get(reverse("billing:invoice-list"), query))
    shown = {name for name, invoice in rows.items() if f">{invoice.number}<" in page}
    assert shown == expect


def test_a_month_filter_of_this_month_and_a_bad_month(world):
    client = world.client_for("admin")
    this_month = f"{timezone.localdate():%Y-%m}"
    page = _page(client.get(reverse("billing:invoice-list"), {"month": this_month}))
    assert world.a.invoice.number in page
    page = _page(client.get(reverse("billing:invoice-list"), {"month": "November"}))
    assert world.a.invoice.number not in page and "Enter a month" in page


def test_the_detail_shows_what_a_person_needs(world):
    page = _page(
        world.client_for("admin").get(reverse("billing:invoice-detail", args=[world.a.invoice.pk]))
    )
    invoice = world.a.invoice
    for text in (
        invoice.number,
        invoice.issuer_name,
        invoice.issuer_vat_id,
        invoice.buyer_name,
        "Prepaid sales credit",
        invoice.payment_reference,
        world.a.credit_note.number,  # the credit note correcting it
        reverse("billing:invoice-pdf", args=[invoice.pk]),
        reverse("billing:invoice-xml", args=[invoice.pk]),
    ):
        assert text in page, text
    assert "hx-get" not in page, "a rendered invoice does not poll"


def test_a_reverse_charge_invoice_prints_its_note(world):
    invoice = invoice_open(world.a.reseller, treatment="reverse_charge")
    page = _page(
        world.client_for("admin").get(reverse("billing:invoice-detail", args=[invoice.pk]))
    )
    assert "Art. 196 Directive 2006/112/EC" in page
    assert "Reverse charge" in page


def test_a_credit_note_names_its_invoice_and_polls_until_rendered(world):
    client = world.client_for("accountant")
    note = world.a.credit_note
    url = reverse("billing:invoice-detail", args=[note.pk])
    page = _page(client.get(url))
    assert reverse("billing:invoice-detail", args=[world.a.invoice.pk]) in page
    assert "being prepared" in page and f'hx-get="{url}?poll=1"' in page
    assert client.get(reverse("billing:invoice-pdf", args=[note.pk])).status_code == 404
    assert client.get(reverse("billing:invoice-xml", args=[note.pk])).status_code == 404
    fragment = _page(client.get(url, {"poll": "1"}, **HTMX))
    assert "<h1" not in fragment and "being prepared" in fragment
    document_for(note, pdf=b"%PDF-1.7 note")
    fragment = _page(client.get(url, {"poll": "1"}, **HTMX))
    assert "hx-get" not in fragment
    assert reverse("billing:invoice-pdf", args=[note.pk]) in fragment


@pytest.mark.parametrize(
    ("which", "content_type"), [("pdf", "application/pdf"), ("xml", "application/xml")]
)
def test_downloads(world, which, content_type):
    invoice = world.a.invoice
    answer = world.client_for("accountant").get(
        reverse(f"billing:invoice-{which}", args=[invoice.pk])
    )
    assert answer.status_code == 200
    assert answer["Content-Type"] == content_type
    assert answer["Content-Disposition"] == f'attachment; filename="{invoice.number}.{which}"'
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "private" in answer["Cache-Control"] and "no-store" in answer["Cache-Control"]
    assert answer.content == (b"%PDF-1.7 world" if which == "pdf" else b"<x/>")


def test_another_tenants_ids_are_404_on_every_url(world):
    for role in ("admin", "accountant"):
        client = world.client_for(role, world.b)
        for name in INVOICE_URLS:
            for invoice in (world.a.invoice, world.a.credit_note):
                answer = client.get(reverse(name, args=[invoice.pk]))
                assert answer.status_code == 404, (role, name)
        for name in EXPORT_URLS:
            assert client.get(reverse(name, args=[world.a.invoice_export.pk])).status_code == 404
    # Nor an operator's export of every reseller, which is staff's alone.
    operators = InvoiceExport.objects.create(
        reseller=None, month=timezone.localdate(), status=InvoiceExport.Status.READY, archive=b"x"
    )
    client = world.client_for("admin")
    for name in EXPORT_URLS:
        assert client.get(reverse(name, args=[operators.pk])).status_code == 404
    staff = world.client_for("staff")
    assert (
        staff.get(reverse("billing:staff-export-download", args=[operators.pk])).status_code == 200
    )


def test_only_admin_and_accountant_see_invoices(world):
    urls = [reverse("billing:invoice-list"), reverse("billing:export-list")]
    urls += [reverse(name, args=[world.a.invoice.pk]) for name in INVOICE_URLS]
    urls += [reverse(name, args=[world.a.invoice_export.pk]) for name in EXPORT_URLS]
    for url in urls:
        assert world.client_for("user").get(url).status_code == 403, url
        assert world.client_for("accountant").get(url).status_code == 200, url
    staff_urls = [
        reverse("billing:staff-invoice-list"),
        reverse("billing:staff-invoice-detail", args=[world.a.invoice.pk]),
        reverse("billing:staff-export-list"),
    ]
    for url in staff_urls:
        assert world.client_for("admin").get(url).status_code == 403, url
        assert world.client_for("staff").get(url).status_code == 200, url


def test_export_pages(world):
    client = world.client_for("accountant")
    page = _page(client.get(reverse("billing:export-list")))
    # The world's documents are all of this month: last month, empty, is not proposed.
    assert f'value="{timezone.localdate():%Y-%m}"' in page, "the form proposes this month"
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    Invoice.objects.filter(pk=world.a.invoice.pk).update(issue_date=last_month)
    page = _page(client.get(reverse("billing:export-list")))
    assert f'value="{last_month:%Y-%m}"' in page, "last month has documents: it is proposed"
    Invoice.objects.filter(pk=world.a.invoice.pk).update(issue_date=timezone.localdate())
    assert reverse("billing:export-detail", args=[world.a.invoice_export.pk]) in page
    assert reverse("billing:export-detail", args=[world.b.invoice_export.pk]) not in page
    month = f"{timezone.localdate():%Y-%m}"
    answer = client.post(reverse("billing:export-list"), {"month": month})
    export = InvoiceExport.objects.exclude(pk=world.a.invoice_export.pk).get(
        reseller=world.a.reseller
    )
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "billing:export-detail", args=[export.pk]
    )
    again = client.post(reverse("billing:export-list"), {"month": month})
    assert again["Location"] == answer["Location"], "the pending export is shown again"
    detail = reverse("billing:export-detail", args=[export.pk])
    page = _page(client.get(detail))
    assert f'hx-get="{detail}?poll=1"' in page
    download = reverse("billing:export-download", args=[export.pk])
    assert client.get(download).status_code == 404, "nothing to download while it is built"
    document_for(world.a.credit_note)
    invoice_export_build(export_id=export.pk)
    fragment = _page(client.get(detail, {"poll": "1"}, **HTMX))
    assert "hx-get" not in fragment and download in fragment and "2 documents" in fragment
    answer = client.get(download)
    assert answer["Content-Type"] == "application/zip"
    name = f"invoices-{world.a.reseller.slug}-{month}.zip"
    assert answer["Content-Disposition"] == f'attachment; filename="{name}"'
    export.refresh_from_db()
    assert hashlib.sha256(answer.content).hexdigest() == export.sha256
    assert len(zipfile.ZipFile(io.BytesIO(answer.content)).namelist()) == 5


def test_an_export_of_a_month_to_come_is_refused_on_the_form(world):
    future = (timezone.localdate().replace(day=1) + datetime.timedelta(days=40)).strftime("%Y-%m")
    answer = world.client_for("admin").post(reverse("billing:export-list"), {"month": future})
    assert answer.status_code == 400
    assert "has not begun yet" in answer.content.decode()
    assert world.client_for("admin").post(reverse("billing:export-list"), {}).status_code == 400


def test_staff_pages_span_every_reseller(world):
    client = world.client_for("staff")
    page = _page(client.get(reverse("billing:staff-invoice-list")))
    assert world.a.invoice.number in page and world.b.invoice.number in page
    assert world.a.reseller.name in page
    page = _page(client.get(reverse("billing:staff-invoice-list"), {"reseller": "Tenant B"}))
    assert world.b.invoice.number in page and world.a.invoice.number not in page
    detail = _page(client.get(reverse("billing:staff-invoice-detail", args=[world.b.invoice.pk])))
    assert reverse("billing:staff-invoice-pdf", args=[world.b.invoice.pk]) in detail
    assert reverse("billing:staff-invoice-detail", args=[world.b.credit_note.pk]) in detail
    answer = client.get(reverse("billing:staff-invoice-pdf", args=[world.b.invoice.pk]))
    assert answer["Content-Disposition"] == f'attachment; filename="{world.b.invoice.number}.pdf"'
    month = f"{timezone.localdate():%Y-%m}"
    answer = client.post(reverse("billing:staff-export-list"), {"month": month, "reseller": ""})
    export = InvoiceExport.objects.get(reseller=None)
    assert answer["Location"] == reverse("billing:staff-export-detail", args=[export.pk])
    answer = client.post(
        reverse("billing:staff-export-list"), {"month": month, "reseller": world.b.reseller.pk}
    )
    one = InvoiceExport.objects.exclude(pk=world.b.invoice_export.pk).get(reseller=world.b.reseller)
    assert answer["Location"] == reverse("billing:staff-export-detail", args=[one.pk])
    page = _page(client.get(reverse("billing:staff-export-list")))
    assert "All resellers" in page and world.b.reseller.name in page
    # The tenant sees the export staff made of its own invoices, never the one of everyone.
    tenant_page = _page(world.client_for("admin", world.b).get(reverse("billing:export-list")))
    assert reverse("billing:export-detail", args=[one.pk]) in tenant_page
    assert reverse("billing:export-detail", args=[export.pk]) not in tenant_page
