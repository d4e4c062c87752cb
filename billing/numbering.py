"""Gapless invoice numbers: one counter row per issuer, series and year, locked and advanced
in the transaction that creates the invoice.

No MAX()+1 (two transactions read the same maximum) and no database sequence (a rolled-back
transaction burns its value and leaves a gap). The counter row is created on first use with
INSERT … ON CONFLICT DO NOTHING, so two first invoices of a year do not collide; the second
waits on the first's row lock and reads its committed value. A rollback returns the number.
"""

from __future__ import annotations

from django.conf import settings

from billing.models import Invoice, InvoiceCounter

# Series per kind of document and how its numbers are written: ("INV", "") gives
# "2026-000123"; credit notes count in their own series, "CN-2026-000007".
DEFAULT_SERIES = {
    Invoice.Kind.INVOICE: ("INV", ""),
    Invoice.Kind.CREDIT_NOTE: ("CN", "CN-"),
}


def series_for(kind: str) -> tuple[str, str]:
    """(series code, printed prefix) of a kind of document."""
    series = getattr(settings, "INVOICE_SERIES", None) or DEFAULT_SERIES
    code, prefix = series[kind]
    return code, prefix


def number_next(*, issuer_key: str, series: str, year: int) -> int:
    """The next sequence number of the series, counted under the counter's row lock: call it
    inside the transaction that saves the invoice, after every other lock it takes."""
    InvoiceCounter.objects.bulk_create(
        [InvoiceCounter(issuer_key=issuer_key, series=series, year=year)], ignore_conflicts=True
    )
    counter = InvoiceCounter.objects.select_for_update().get(
        issuer_key=issuer_key, series=series, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def number_text(*, prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}{year}-{sequence:06d}"
