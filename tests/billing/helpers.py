"""Invoices as the tests need them: issued by the real service, then moved in time where a
test needs another month or a passed due date (an issued invoice is never edited otherwise)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from uuid import uuid4

from django.db import transaction
from django.utils import timezone

from billing.models import Invoice
from billing.services.invoices import LineSpec, credit_note_issue, invoice_issue
from tests.world import document_for, invoice_paid

__all__ = ["credit_note", "document_for", "invoice_open", "invoice_paid", "issued_on"]


def invoice_open(reseller, *, net: str = "50.00", due_days: int = 14, **fields) -> Invoice:
    """An unpaid invoice (a bank transfer's), due in `due_days`."""
    with transaction.atomic():
        return invoice_issue(
            reseller=reseller,
            source_key=f"test-open:{uuid4()}",
            currency=str(reseller.currency),
            treatment=fields.pop("treatment", "domestic"),
            vat_rate=fields.pop("vat_rate", Decimal("19.00")),
            lines=fields.pop("lines", None) or [LineSpec("Sales credit", Decimal(net))],
            supply_date=timezone.localdate(),
            payment_method="bank",
            payment_reference=fields.pop("payment_reference", f"RF{uuid4().hex[:10].upper()}"),
            due_days=due_days,
        )


def credit_note(invoice: Invoice, *, net: str = "10.00", vat: str = "1.90") -> Invoice:
    with transaction.atomic():
        return credit_note_issue(
            invoice=invoice,
            source_key=f"test-credit:{uuid4()}",
            net=Decimal(net),
            vat=Decimal(vat),
            reason="Refund",
        )


def issued_on(invoice: Invoice, day: datetime.date) -> Invoice:
    """Move an invoice to another issue date (a test of months needs last month's)."""
    Invoice.objects.filter(pk=invoice.pk).update(issue_date=day, due_date=day)
    invoice.refresh_from_db()
    return invoice


def last_month_day() -> datetime.date:
    return timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
