"""What a bank-transfer payer needs: the operator's account, the reference, the EPC QR code
(EUR only: the EPC standard knows no other currency) and the proforma PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from stdnum import iban as iban_number

from payments.bank.epc_qr import epc_payload, qr_svg
from payments.bank.proforma import ProformaBuyer, ProformaContext, proforma_pdf
from payments.bank.reference import rf_format
from payments.models import TopUp


@dataclass(frozen=True)
class BankDetails:
    name: str
    iban: str
    iban_formatted: str
    bic: str
    bank_name: str
    reference_formatted: str
    qr_svg: str  # "" when the currency is not EUR


def bank_details(topup: TopUp) -> BankDetails:
    operator = settings.OPERATOR
    qr = ""
    if topup.currency == "EUR":
        payload = epc_payload(
            name=operator["name"],
            iban=operator["iban"],
            bic=operator["bic"],
            amount=topup.gross,
            currency="EUR",
            reference=topup.reference,
        )
        qr = qr_svg(payload, label=_("QR code for your banking app"))
    return BankDetails(
        name=operator["name"],
        iban=operator["iban"],
        iban_formatted=iban_number.format(operator["iban"]),
        bic=operator["bic"],
        bank_name=operator.get("bank_name", ""),
        reference_formatted=rf_format(topup.reference),
        qr_svg=qr,
    )


def proforma_pdf_for(topup: TopUp) -> bytes:
    """The proforma in the reseller's language: what to transfer, where, with which
    reference. It carries no invoice number: the invoice follows the payment."""
    reseller = topup.reseller
    with translation.override(reseller.language or settings.LANGUAGE_CODE):
        address = tuple(
            line
            for line in (reseller.address_line, f"{reseller.postal_code} {reseller.city}".strip())
            if line
        )
        context = ProformaContext(
            buyer=ProformaBuyer(
                name=reseller.legal_name,
                address_lines=address,
                country=reseller.country.code,
                vat_id=reseller.vat_id,
            ),
            number=f"P-{topup.reference}",
            reference=topup.reference,
            issue_date=timezone.localdate(topup.created_at),
            due_date=timezone.localdate(topup.created_at)
            + timedelta(days=settings.TOPUP_BANK_EXPIRE_DAYS),
            description=_("Sales credit top-up"),
            net=topup.net,
            vat_rate=topup.vat_rate,
            vat=topup.vat,
            gross=topup.gross,
            currency=topup.currency,
            vat_note=topup.vat_note_text,
        )
        return proforma_pdf(context=context)
