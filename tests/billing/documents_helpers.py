"""Invoices as the billing tests (and bench/invoices.py) need them: resellers in Germany
(domestic VAT), Austria (VIES-valid, reverse charge) and the US (not taxable), and a paid
top-up's invoice issued the way the payment services issue it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import Invoice
from billing.services.invoices import LineSpec, credit_note_issue, invoice_issue
from tax.models import VatCheck
from tax.treatment import vat_treatment
from tests.factories import ResellerFactory

AT_VAT_ID = "ATU13585627"
AT_CONSULTATION = "WAPIAAAAY5Zq1W4N"


def german_reseller(**kwargs):
    kwargs.setdefault("language", "de")
    return ResellerFactory(
        country="DE",
        currency="EUR",
        address_line="Hauptstraße 5",
        postal_code="10115",
        city="Berlin",
        **kwargs,
    )


def austrian_reseller(**kwargs):
    reseller = ResellerFactory(
        country="AT",
        currency="EUR",
        address_line="Ringstraße 1",
        postal_code="1010",
        city="Wien",
        **kwargs,
    )
    check = VatCheck.objects.create(
        reseller=reseller,
        vat_id=AT_VAT_ID,
        status=VatCheck.Status.VALID,
        attempts=1,
        consultation_number=AT_CONSULTATION,
    )
    reseller.vat_id = AT_VAT_ID
    reseller.vat_check = check
    reseller.save(update_fields=["vat_id", "vat_check"])
    return reseller


def us_reseller(**kwargs):
    return ResellerFactory(
        country="US",
        currency="USD",
        address_line="1 Main Street",
        postal_code="10001",
        city="New York",
        **kwargs,
    )


def issue_topup_invoice(
    reseller, *, key: str, net: Decimal = Decimal("100.00"), paid: bool = True
) -> Invoice:
    """Issue a top-up's invoice in its own transaction, as a paid top-up's fulfilment does."""
    treatment = vat_treatment(
        customer_country=reseller.country.code,
        vies_valid=bool(reseller.vat_check_id)
        and reseller.vat_check.status == VatCheck.Status.VALID,
    )
    with transaction.atomic():
        return invoice_issue(
            reseller=reseller,
            source_key=f"topup:{key}",
            currency=reseller.currency,
            treatment=treatment.treatment,
            vat_rate=treatment.rate,
            lines=[LineSpec(description="Sales credit top-up", unit_price=net)],
            supply_date=timezone.localdate(),
            paid_at=timezone.now() if paid else None,
            payment_method="stripe" if paid else "",
            payment_reference=f"RF18{key}" if paid else "",
            due_days=0 if paid else 14,
        )


def issue_credit_note(invoice: Invoice, *, key: str, net: Decimal, vat: Decimal) -> Invoice:
    with transaction.atomic():
        return credit_note_issue(
            invoice=invoice,
            source_key=f"topup-refund:{key}",
            net=net,
            vat=vat,
            reason="Refund of an unused top-up",
        )


def operator_rate() -> Decimal:
    return Decimal(settings.OPERATOR["vat_rate"])


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)
