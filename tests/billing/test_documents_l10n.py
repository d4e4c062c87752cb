"""An invoice, a credit note and their mail speak the buyer's language: no English left in
the PDF's text or the mail, in German, French and Polish (the seeds' languages), whatever
the treatment. Only data (names, numbers, references, the fixed German reverse-charge
wording §14a UStG asks for) may stay as it is."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import REVERSE_CHARGE_WORDING, InvoiceDocument
from billing.services.documents import invoice_render
from billing.services.mail import invoice_mail
from tests.billing.documents_helpers import (
    austrian_reseller,
    german_reseller,
    issue_credit_note,
    issue_topup_invoice,
    us_reseller,
)
from tests.billing.pdf_checks import pdf_text
from tests.l10n_text import english_left_in_text

pytestmark = pytest.mark.django_db

LANGUAGES = ("de", "fr", "pl")
MAKERS = {"DE": german_reseller, "AT": austrian_reseller, "US": us_reseller}


def _data(invoice) -> tuple[str, ...]:
    """What an invoice carries as data, in any language."""
    values = [
        invoice.number,
        invoice.issuer_name,
        invoice.issuer_street,
        invoice.issuer_city,
        invoice.issuer_email,
        invoice.buyer_name,
        invoice.buyer_street,
        invoice.buyer_city,
        invoice.payment_reference,
        REVERSE_CHARGE_WORDING,
        "Sales credit top-up",  # the line's text, written when it was issued
        "Refund of an unused top-up",  # the credit note's reason, as given
        "PayPal",
    ]
    if invoice.credited_invoice_id:
        values.append(invoice.credited_invoice.number)
    return tuple(v for v in values if v)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("country", sorted(MAKERS))
def test_no_english_in_the_invoice_and_credit_note(language, country, mailoutbox):
    reseller = MAKERS[country](language=language)
    invoice = issue_topup_invoice(reseller, key=f"l10n-{language}-{country}")
    note = issue_credit_note(
        invoice, key=f"l10n-{language}-{country}", net=Decimal("10.00"), vat=invoice.total_vat / 10
    )
    left = []
    for document in (invoice, note):
        invoice_render(invoice_id=document.pk)
        pdf = bytes(InvoiceDocument.objects.get(invoice=document).pdf)
        text = pdf_text(pdf)
        left += [
            f"{document.number} PDF: {t}"
            for t in english_left_in_text(text, language, data=_data(document))
        ]
        invoice_mail(invoice_id=document.pk)
    assert len(mailoutbox) == 2
    for mail, document in zip(mailoutbox, (invoice, note), strict=True):
        for part in (mail.subject, mail.body):
            left += [
                f"{document.number} mail: {t}"
                for t in english_left_in_text(part, language, data=_data(document))
            ]
    assert not left, "\n".join(left)
