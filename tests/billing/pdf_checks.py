"""What every invoice PDF must be: PDF/A-3b with the Factur-X XML inside, read with pikepdf
(structure), factur-x (the embedded XML) and pypdf (the visible text)."""

from __future__ import annotations

import hashlib
import io

import facturx
import pikepdf
from pypdf import PdfReader

FX = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"


def pdf_text(pdf: bytes) -> str:
    """The visible text, lines joined by spaces (a value may wrap in its table cell)."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def assert_facturx_pdfa3(document) -> None:
    """`document`: an InvoiceDocument. Checks PDF/A-3b, the Factur-X metadata and the XML."""
    pdf, xml = bytes(document.pdf), bytes(document.xml)
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == document.pdf_sha256
    assert hashlib.sha256(xml).hexdigest() == document.xml_sha256
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        assert meta.get("pdfaid:part") == "3"
        assert meta.get("pdfaid:conformance") == "B"
        assert meta.get(f"{FX}DocumentType") == "INVOICE"
        assert meta.get(f"{FX}DocumentFileName") == "factur-x.xml"
        assert meta.get(f"{FX}Version") == "1.0"
        assert meta.get(f"{FX}ConformanceLevel") == "EN 16931"
        packet = doc.Root.Metadata.read_bytes()
        assert packet.count(b"<rdf:RDF") == 1  # one RDF: readers ignore a second
        assert b"pdfaExtension:schemas" in packet and b"<pdfaSchema:prefix>fx<" in packet
        intents = doc.Root.OutputIntents
        assert len(intents) >= 1 and intents[0].S == "/GTS_PDFA1"
        assert intents[0].DestOutputProfile.read_bytes()  # the ICC profile is there
        (spec,) = list(doc.Root.AF)
        assert str(spec.F) == "factur-x.xml" and str(spec.UF) == "factur-x.xml"
        assert spec.AFRelationship in ("/Alternative", "/Data")
        assert spec.EF.F.Subtype == "/text/xml"
        assert spec.EF.F.read_bytes() == xml
        fonts = [font for page in doc.pages for font in page.Resources.Font.values()]
        assert fonts
        for font in fonts:
            descriptor = (
                font.DescendantFonts[0].FontDescriptor
                if "/DescendantFonts" in font
                else font.FontDescriptor
            )
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font.BaseFont
    name, extracted = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
    assert name == "factur-x.xml"
    assert extracted == xml
