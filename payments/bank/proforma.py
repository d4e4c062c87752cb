"""The proforma for a bank-transfer top-up: what to pay, to whom, with which reference.

A proforma is a request for payment, not an invoice: it carries no invoice number and says so
in words, and the invoice follows once the money arrived. It shows the operator's bank
details, the amount with its VAT breakdown, the RF reference the payment is matched by and,
for EUR, the EPC QR code a banking app fills the transfer in from.

The text is in the active language: the caller renders inside
`translation.override(buyer's language)`; amounts, rates and dates are written as that
language writes them (core.money). WeasyPrint draws it with the system's DejaVu fonts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.numbers import format_percent
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_countries import countries
from stdnum import iban as stdnum_iban

from core.money import money_display, to_minor_unit
from payments.bank.epc_qr import epc_payload, qr_svg
from payments.bank.reference import rf_compact, rf_format, rf_valid

TEMPLATE = "payments/proforma.html"


@dataclass(frozen=True)
class OperatorDetails:
    """Who is paid: the operator as `settings.OPERATOR` describes it."""

    name: str
    address: str
    country: str
    vat_id: str
    iban: str
    bic: str
    bank_name: str
    support_email: str = ""

    @classmethod
    def from_settings(cls) -> OperatorDetails:
        operator = settings.OPERATOR
        return cls(
            name=operator["name"],
            address=operator["address"],
            country=operator.get("country", ""),
            vat_id=operator.get("vat_id", ""),
            iban=operator["iban"],
            bic=operator.get("bic", ""),
            bank_name=operator.get("bank_name", ""),
            support_email=operator.get("support_email", ""),
        )


@dataclass(frozen=True)
class ProformaBuyer:
    """Who pays: the reseller's legal name and billing address. `country` is ISO 3166-1
    alpha-2; `vat_id` is empty for a buyer without one."""

    name: str
    address_lines: tuple[str, ...] = ()
    country: str = ""
    vat_id: str = ""


@dataclass(frozen=True)
class ProformaContext:
    """Everything the proforma shows. Amounts are Decimal in the currency's major unit;
    `vat_rate` is a percentage (19.00); `reference` is the RF reference (compact or spaced);
    `vat_note` is the already chosen, translated sentence of the VAT treatment (reverse
    charge, not taxable) or "" for domestic VAT. Refuses a gross that is not net plus VAT."""

    buyer: ProformaBuyer
    number: str
    reference: str
    issue_date: date
    due_date: date
    description: str
    net: Decimal
    vat_rate: Decimal
    vat: Decimal
    gross: Decimal
    currency: str
    vat_note: str = ""
    operator: OperatorDetails = field(default_factory=OperatorDetails.from_settings)

    def __post_init__(self) -> None:
        if not rf_valid(self.reference):
            raise ValueError(f"not a valid RF reference: {self.reference!r}")
        total = to_minor_unit(self.net + self.vat, self.currency)
        if total != to_minor_unit(self.gross, self.currency):
            raise ValueError(f"net {self.net} + VAT {self.vat} is not gross {self.gross}")


def proforma_pdf(*, context: ProformaContext) -> bytes:
    """The proforma as PDF bytes, in the active language."""
    from weasyprint import HTML  # loads Pango and fonts: only where a PDF is drawn

    return HTML(string=proforma_html(context=context)).write_pdf()


def proforma_html(*, context: ProformaContext) -> str:
    """The proforma's HTML (what the PDF is drawn from), in the active language."""
    c = context
    language = translation.get_language() or settings.LANGUAGE_CODE
    operator = c.operator
    values = {
        "proforma": c,
        "operator": operator,
        "operator_address": [part.strip() for part in operator.address.split(",")],
        "operator_country": _country(operator.country),
        "operator_iban": stdnum_iban.format(operator.iban),
        "buyer_country": _country(c.buyer.country),
        "reference": rf_format(rf_compact(c.reference)),
        "issue_date": date_format(c.issue_date, "DATE_FORMAT"),
        "due_date": date_format(c.due_date, "DATE_FORMAT"),
        "net": money_display(c.net, c.currency),
        "vat": money_display(c.vat, c.currency),
        "gross": money_display(c.gross, c.currency),
        "vat_rate": format_percent(
            c.vat_rate / 100, locale=translation.to_locale(language), decimal_quantization=False
        ),
        "qr": _qr(c),
    }
    return render_to_string(TEMPLATE, values)


def _country(code: str) -> str:
    return str(countries.name(code)) if code else ""


def _qr(c: ProformaContext) -> str:
    """The EPC QR code as inline SVG, or "" when the transfer cannot be one (not EUR)."""
    try:
        payload = epc_payload(
            name=c.operator.name[:70],
            iban=c.operator.iban,
            bic=c.operator.bic,
            amount=to_minor_unit(c.gross, c.currency),
            currency=c.currency,
            reference=rf_compact(c.reference),
        )
    except ValueError:
        return ""
    return mark_safe(qr_svg(payload, size="40mm", label=_("QR code for your banking app")))  # noqa: S308 - built from escaped values
