"""The EPC QR code ("GiroCode"): a SEPA credit transfer a banking app fills in from a scan.

The payload follows EPC069-12 (version 2.1, "Quick Response Code: guidelines to enable data
capture for the initiation of a SEPA credit transfer"), one element per line:

    1  BCD          service tag
    2  002          version (002: the BIC may be left empty inside the EEA; we fill it anyway)
    3  1            character set: UTF-8
    4  SCT          SEPA credit transfer
    5  BIC          8 or 11 characters
    6  name         beneficiary, at most 70 characters
    7  IBAN         beneficiary account
    8  EUR123.45    amount: EUR, 0.01 to 999999999.99, at most two decimals
    9  purpose      four-letter code, left empty
    10 reference    structured remittance: an ISO 11649 RF reference, at most 35
    11 text         unstructured remittance, at most 140 — never together with 10
    12 information  beneficiary to originator, left empty

Trailing empty elements are left out (the standard allows it), the whole payload is at most
331 bytes, and the code is drawn with error correction level M, which EPC requires. The scheme
is SEPA, so only EUR: any other currency raises `ValueError` and the page shows no code.
"""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from html import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban

from payments.bank.reference import rf_compact, rf_valid

MAX_PAYLOAD_BYTES = 331
MAX_VERSION = 13  # 331 bytes at level M fit version 13; EPC allows no larger code
NAME_MAX = 70
REFERENCE_MAX = 35
TEXT_MAX = 140
AMOUNT_MIN = Decimal("0.01")
AMOUNT_MAX = Decimal("999999999.99")
QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks


def epc_payload(
    *,
    name: str,
    iban: str,
    bic: str,
    amount: Decimal,
    currency: str = "EUR",
    reference: str = "",
    text: str = "",
) -> str:
    """The EPC069-12 payload for a transfer of `amount` to `name`/`iban`, carrying either the
    RF `reference` (structured) or free `text` (unstructured), never both. Raises ValueError
    for anything a banking app would refuse: another currency than EUR, an invalid IBAN, BIC
    or RF reference, a name or text too long, an amount out of range or below the cent."""
    if currency != "EUR":
        raise ValueError(f"EPC QR codes carry EUR only, not {currency!r}")
    name = _one_line(name)
    if not name or len(name) > NAME_MAX:
        raise ValueError(f"the beneficiary's name must be 1 to {NAME_MAX} characters")
    if not stdnum_iban.is_valid(iban):
        raise ValueError(f"not a valid IBAN: {iban!r}")
    bic = stdnum_bic.compact(bic) if bic else ""
    if bic and not stdnum_bic.is_valid(bic):
        raise ValueError(f"not a valid BIC: {bic!r}")
    if reference and text:
        raise ValueError("an EPC QR code carries a structured reference or a text, not both")
    if reference:
        if not rf_valid(reference):
            raise ValueError(f"not a valid RF creditor reference: {reference!r}")
        reference = rf_compact(reference)
        if len(reference) > REFERENCE_MAX:  # an RF reference is at most 25: never here
            raise ValueError("the reference is too long")
    text = _one_line(text)
    if len(text) > TEXT_MAX:
        raise ValueError(f"the remittance text must be at most {TEXT_MAX} characters")
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic,
        name,
        stdnum_iban.compact(iban),
        "EUR" + _amount(amount),
        "",  # purpose
        reference,
        text,
        "",  # beneficiary to originator information
    ]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"the EPC payload is longer than {MAX_PAYLOAD_BYTES} bytes")
    return payload


def _one_line(value: str) -> str:
    """The value on one line: a line break would shift every element after it."""
    return " ".join(str(value).split())


def _amount(amount: Decimal) -> str:
    if not isinstance(amount, Decimal):
        raise ValueError("the amount must be a Decimal")
    if not amount.is_finite() or not AMOUNT_MIN <= amount <= AMOUNT_MAX:
        raise ValueError(f"the amount must be between {AMOUNT_MIN} and {AMOUNT_MAX} EUR")
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount:
        raise ValueError(f"the amount has more than two decimals: {amount}")
    return f"{cents:f}"


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR code's modules (True: dark), quiet zone included; level M, byte mode, at most
    version 13 as EPC requires."""
    return _code(payload).get_matrix()


def _code(payload: str, box_size: int = 1) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=box_size)
    code.add_data(payload.encode("utf-8"), optimize=0)
    code.make(fit=True)
    if code.version > MAX_VERSION:
        raise ValueError(f"the payload needs QR version {code.version}; EPC allows {MAX_VERSION}")
    return code


def qr_svg(payload: str, *, size: str = "46mm", label: str = "") -> str:
    """The code as inline SVG: one path, coloured with `fill` attributes (no `style`, which a
    strict Content-Security-Policy blocks), drawn in modules so it scales without blur.
    `size` is the printed width and height; `label` (translated by the caller) is what a
    screen reader announces."""
    matrix = qr_matrix(payload)
    count = len(matrix)
    path = []
    for y, row in enumerate(matrix):
        x = 0
        while x < count:
            if not row[x]:
                x += 1
                continue
            run = x
            while run < count and row[run]:
                run += 1
            path.append(f"M{x} {y}h{run - x}v1h-{run - x}z")
            x = run
    accessible = (
        f' role="img" aria-label="{escape(label, quote=True)}"' if label else ' aria-hidden="true"'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {count} {count}" '
        f'width="{escape(size, quote=True)}" height="{escape(size, quote=True)}" '
        f'shape-rendering="crispEdges" class="epc-qr"{accessible}>'
        f'<rect width="{count}" height="{count}" fill="#fff"/>'
        f'<path d="{"".join(path)}" fill="#000"/></svg>'
    )


def qr_png_data_uri(payload: str, *, box_size: int = 8) -> str:
    """The code as a PNG `data:` URI (`box_size` pixels per module), for renderers that do not
    draw inline SVG."""
    buffer = io.BytesIO()
    _code(payload, box_size).make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
