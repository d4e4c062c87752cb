"""Drawing an invoice's documents: the PDF/A-3b with its Factur-X (EN 16931) XML inside.

`invoice_render` runs in a task after the invoice committed. It renders without holding a
lock (WeasyPrint takes tens of milliseconds), then stores the files in a short transaction
under the invoice's row lock: whoever comes second finds the document written and changes
nothing, so a task that runs twice writes the document once and sends one mail.

The PDF is PDF/A-3b: WeasyPrint writes the sRGB output intent, the XMP with pdfaid part 3 /
conformance B and embeds the fonts; we add the XML as the associated file `factur-x.xml`
(/AFRelationship /Alternative) and the Factur-X extension schema to the XMP, which is what
makes a Factur-X (ZUGFeRD 2) reader find the XML.

Speed: one font file (DejaVu Sans, regular and bold, found through fontconfig once), no web
fonts or images, flat CSS without flex or grid, the template compiled once and WeasyPrint's
FontConfiguration reused for every render of the process.
"""

from __future__ import annotations

import atexit
import base64
import datetime
import functools
import hashlib
import logging

from babel.numbers import format_decimal, format_percent
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban

from billing.facturx import invoice_xml
from billing.labels import PAYMENT_METHODS_IN_SENTENCE
from billing.models import REVERSE_CHARGE_WORDING, Invoice, InvoiceDocument
from billing.pdf_fonts import FAMILY, font_face_css
from billing.selectors import invoice_vat_groups
from core.money import money_display
from core.queue import enqueue_on_commit
from tax.treatment import Treatment, treatment_note

logger = logging.getLogger(__name__)

TEMPLATE = "billing/invoice_pdf.html"
STYLESHEET = "billing/invoice_pdf.css"
XML_NAME = "factur-x.xml"
# Invoices with more lines than this may run onto a second page: only they get page numbers.
NUMBERED_FROM_LINES = 12
# Failures worth another try: the database went away. Anything else is a bug or bad data
# and is recorded on the invoice instead.
TRANSIENT = (OperationalError, InterfaceError)


@functools.cache
def _font_config():
    """WeasyPrint's font configuration, shared by every render of the process (building one
    reads fontconfig's cache: milliseconds each time)."""
    from weasyprint.text.fonts import FontConfiguration  # Pango: only where PDFs are drawn

    return FontConfiguration()


@functools.cache
def _template():
    return get_template(TEMPLATE)


@functools.cache
def _stylesheet():
    """The stylesheet, parsed once per process (its @font-face rules register the fonts with
    the shared font configuration once)."""
    from weasyprint import CSS

    css = render_to_string(STYLESHEET, {"font_faces": font_face_css(), "font_family": FAMILY})
    return CSS(string=css, font_config=_font_config())


@atexit.register
def _release() -> None:
    """Drop the shared font configuration while the interpreter still works (its finalizer
    calls into fontconfig, which fails noisily at interpreter teardown)."""
    _stylesheet.cache_clear()
    _font_config.cache_clear()


def invoice_render(*, invoice_id: int) -> str:
    """Draw the invoice's PDF/A-3b and XML and store them once; the render status after.
    A failure is recorded on the invoice (`failed`, with a short reason); only a transient
    one (the database) is raised again, for the task to retry."""
    if InvoiceDocument.objects.filter(invoice_id=invoice_id).exists():
        return Invoice.Render.READY
    invoice = (
        Invoice.objects.select_related("credited_invoice")
        .prefetch_related("lines")
        .get(pk=invoice_id)
    )
    try:
        xml = invoice_xml(invoice)
        pdf = invoice_pdf(invoice=invoice, xml=xml)
    except TRANSIENT as exc:
        _failed(invoice_id, exc)
        raise
    except Exception as exc:  # a bug or bad data: shown on the invoice, not retried
        logger.exception("invoice %s: rendering failed", invoice.number)
        _failed(invoice_id, exc)
        return Invoice.Render.FAILED
    _store(invoice_id=invoice_id, pdf=pdf, xml=xml)
    return Invoice.Render.READY


def _store(*, invoice_id: int, pdf: bytes, xml: bytes) -> None:
    """Write the document unless another run did; the mail follows the first write only."""
    pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if InvoiceDocument.objects.filter(invoice=invoice).exists():
            return
        InvoiceDocument.objects.create(
            invoice=invoice,
            pdf=pdf,
            xml=xml,
            pdf_sha256=pdf_sha256,
            xml_sha256=hashlib.sha256(xml).hexdigest(),
        )
        invoice.render_status = Invoice.Render.READY
        invoice.render_error = ""
        invoice.pdf_sha256 = pdf_sha256
        invoice.save(update_fields=["render_status", "render_error", "pdf_sha256"])
        enqueue_on_commit("billing.tasks.invoice_mail", invoice_id)


def _failed(invoice_id: int, exc: BaseException) -> None:
    error = f"{type(exc).__name__}: {exc}"[:300]
    try:
        Invoice.objects.filter(pk=invoice_id).exclude(render_status=Invoice.Render.READY).update(
            render_status=Invoice.Render.FAILED, render_error=error
        )
    except DatabaseError:
        logger.exception("invoice %s: could not record the render failure", invoice_id)


def invoice_pdf(*, invoice: Invoice, xml: bytes) -> bytes:
    """The invoice as PDF/A-3b with `xml` embedded as factur-x.xml, in its language."""
    from weasyprint import HTML, Attachment

    font_config = _font_config()
    with translation.override(invoice.language or settings.LANGUAGE_CODE):
        html = invoice_html(invoice=invoice)
    document = HTML(string=html).render(font_config=font_config, stylesheets=[_stylesheet()])
    moment = datetime.datetime.combine(invoice.issue_date, datetime.time(), datetime.UTC)
    attachment = Attachment(
        # A data: URL carries the MIME type the Factur-X profile asks for (text/xml); from
        # the file name alone WeasyPrint would write application/xml.
        url="data:text/xml;base64," + base64.b64encode(xml).decode(),
        name=XML_NAME,
        description="Factur-X / ZUGFeRD invoice (EN 16931)",
        created=moment,
        modified=moment,
        relationship="Alternative",
    )
    return document.write_pdf(
        pdf_variant="pdf/a-3b",
        attachments=[attachment],
        finisher=_facturx_xmp,
        optimize_images=False,
        uncompressed_pdf=False,
    )


def _facturx_xmp(document, pdf) -> None:
    """Put the Factur-X descriptions into the XMP packet's one rdf:RDF (WeasyPrint's own
    `xmp_metadata` option would add a second rdf:RDF, which XMP readers ignore), and list
    the XML once in /AF."""
    metadata = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
    packet = b"".join(
        part if isinstance(part, bytes) else str(part).encode() for part in metadata.stream
    )
    if b"</rdf:RDF>" not in packet:
        raise ValueError("the PDF has no XMP packet to add the Factur-X metadata to")
    metadata.stream = [packet.replace(b"</rdf:RDF>", FACTURX_XMP + b"</rdf:RDF>", 1)]
    # WeasyPrint 70 lists an embedded file twice in the catalog's /AF (once from the name
    # tree, once from the file specification): keep each once.
    associated = pdf.catalog.get("AF")
    if associated is not None:
        unique = list(dict.fromkeys(associated))
        associated.clear()
        associated.extend(unique)


def invoice_html(*, invoice: Invoice) -> str:
    """The invoice's HTML (what the PDF is drawn from) in the active language."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    locale = translation.to_locale(language)
    currency = invoice.currency
    lines = list(invoice.lines.all())
    values = {
        "invoice": invoice,
        "title": _("Credit note") if invoice.is_credit_note else _("Invoice"),
        "issuer_country": invoice.issuer_country_name,
        "buyer_country": invoice.buyer_country_name,
        "issue_date": _date(invoice.issue_date),
        "supply_date": _date(invoice.supply_date),
        "period_start": _date(invoice.period_start),
        "period_end": _date(invoice.period_end),
        "due_date": _date(invoice.due_date),
        "paid_date": _date(timezone.localdate(invoice.paid_at)) if invoice.paid_at else "",
        "payment_method": str(PAYMENT_METHODS_IN_SENTENCE.get(invoice.payment_method, "")),
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "quantity": format_decimal(line.quantity.normalize(), locale=locale),
                "unit_price": money_display(line.unit_price, currency),
                "net": money_display(line.net, currency),
                "rate": _percent(line.vat_rate, locale),
            }
            for line in lines
        ],
        "rates": [
            {
                "rate": _percent(group.rate, locale),
                "net": money_display(group.net, currency),
                "vat": money_display(group.vat, currency),
            }
            for group in invoice_vat_groups(lines)
        ],
        "total_net": money_display(invoice.total_net, currency),
        "total_vat": money_display(invoice.total_vat, currency),
        "total_gross": money_display(invoice.total_gross, currency),
        "reverse_charge": invoice.treatment == Treatment.REVERSE_CHARGE,
        "reverse_charge_phrase": REVERSE_CHARGE_WORDING,
        "treatment_note": treatment_note(invoice.treatment),
        "is_paid": invoice.payment_status == Invoice.Payment.PAID,
        "iban": stdnum_iban.format(invoice.issuer_iban) if invoice.issuer_iban else "",
        "numbered_pages": len(lines) > NUMBERED_FROM_LINES,
    }
    credited = invoice.credited_invoice
    if credited is not None:
        values["credited_number"] = credited.number
        values["credited_date"] = _date(credited.issue_date)
    return _template().render(values)


def _date(value: datetime.date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def _percent(rate, locale: str) -> str:
    return format_percent(rate / 100, locale=locale, decimal_quantization=False)


# The Factur-X extension schema (Factur-X 1.0, "XMP metadata"): declared in the PDF/A extension
# block, so a PDF/A validator accepts the fx: properties, then the properties themselves.
FX_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document", XML_NAME),
    ("DocumentType", "The type of the hybrid document in capital letters", "INVOICE"),
    ("Version", "The version of the standard applying to the embedded XML document", "1.0"),
    ("ConformanceLevel", "The conformance level of the embedded XML document", "EN 16931"),
)
FACTURX_XMP = (
    '<rdf:Description rdf:about=""'
    ' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
    ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
    ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">\n'
    '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">\n'
    "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\n"
    f"<pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI>\n"
    "<pdfaSchema:prefix>fx</pdfaSchema:prefix>\n"
    "<pdfaSchema:property><rdf:Seq>\n"
    + "".join(
        f'<rdf:li rdf:parseType="Resource"><pdfaProperty:name>{name}</pdfaProperty:name>'
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>\n"
        for name, description, _value in FX_PROPERTIES
    )
    + "</rdf:Seq></pdfaSchema:property>\n"
    "</rdf:li></rdf:Bag></pdfaExtension:schemas>\n"
    "</rdf:Description>\n"
    f'<rdf:Description rdf:about="" xmlns:fx="{FX_NAMESPACE}">\n'
    + "".join(f"<fx:{name}>{value}</fx:{name}>\n" for name, _d, value in FX_PROPERTIES)
    + "</rdf:Description>\n"
).encode()
