"""Render and mail tasks that never reached a worker are sent again by the beat job."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice, InvoiceDocument
from billing.services.recovery import RECOVER_AFTER, invoices_recover
from tests.billing.documents_helpers import german_reseller, issue_topup_invoice
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - RECOVER_AFTER - datetime.timedelta(minutes=1)


def test_a_lost_render_and_a_lost_mail_are_sent_again(mailoutbox):
    waiting = issue_topup_invoice(german_reseller(), key="lost")  # its task never ran
    fresh = issue_topup_invoice(german_reseller(), key="fresh")  # its task may still come
    Invoice.objects.filter(pk=waiting.pk).update(created_at=LONG_AGO)

    first = invoices_recover()  # tasks run eagerly here: the render happens now
    assert (first.renders, first.mails) == (1, 0)
    waiting.refresh_from_db()
    assert waiting.render_status == Invoice.Render.READY
    assert not InvoiceDocument.objects.filter(invoice=fresh).exists()
    # The document's own mail task was lost too (sent on a commit that never came here).
    assert mailoutbox == []
    InvoiceDocument.objects.filter(invoice=waiting).update(rendered_at=LONG_AGO)
    second = invoices_recover()
    assert (second.renders, second.mails) == (0, 1)
    assert len(mailoutbox) == 1 and waiting.number in mailoutbox[0].subject
    assert invoices_recover() == type(second)(renders=0, mails=0)  # nothing left to recover


def test_a_failed_render_is_left_for_staff(monkeypatch):
    """A render that failed for a bug or bad data is not retried for ever."""
    invoice = issue_topup_invoice(german_reseller(), key="failed")
    Invoice.objects.filter(pk=invoice.pk).update(
        created_at=LONG_AGO, render_status=Invoice.Render.FAILED
    )
    assert invoices_recover().renders == 0


def test_staff_draw_a_failed_document_again(client, django_capture_on_commit_callbacks):
    invoice = issue_topup_invoice(german_reseller(), key="retry")
    Invoice.objects.filter(pk=invoice.pk).update(
        render_status=Invoice.Render.FAILED, render_error="ValueError: no layout today"
    )
    client.force_login(StaffFactory())
    detail = client.get(reverse("billing:staff-invoice-detail", args=[invoice.pk]))
    assert b"no layout today" in detail.content
    url = reverse("billing:staff-invoice-render", args=[invoice.pk])
    assert url.encode() in detail.content
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url)
    assert answer.status_code == 302
    invoice.refresh_from_db()
    assert invoice.render_status == Invoice.Render.READY and invoice.render_error == ""
    assert InvoiceDocument.objects.filter(invoice=invoice).exists()
    again = client.post(url, follow=True)  # drawn now: nothing to redo
    assert b"nothing to redo" in again.content
