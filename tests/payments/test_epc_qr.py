"""The EPC QR code: the payload line by line as EPC069-12 lays it out, and a code that scans."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from PIL import Image

from payments.bank.epc_qr import epc_payload, qr_matrix, qr_png_data_uri, qr_svg
from tests.services import require_or_skip

OPERATOR = {
    "name": "Tessera Operator GmbH",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
}


def test_the_payload_with_a_structured_reference():
    payload = epc_payload(**OPERATOR, amount=Decimal("119.00"), reference="RF18 5390 0754 7034")
    assert payload == (
        "BCD\n002\n1\nSCT\nCOBADEFFXXX\nTessera Operator GmbH\nDE89370400440532013000\n"
        "EUR119.00\n\nRF18539007547034"
    )


def test_the_payload_with_a_text_leaves_the_reference_line_empty():
    payload = epc_payload(**OPERATOR, amount=Decimal("5"), text="Top-up\nPF-2026-0001")
    lines = payload.split("\n")
    assert lines[7] == "EUR5.00"
    assert lines[8] == "" and lines[9] == ""  # purpose, structured reference
    assert lines[10] == "Top-up PF-2026-0001"  # one line: a break would shift the elements
    assert len(lines) == 11


def test_the_bic_may_be_left_out_in_version_002():
    payload = epc_payload(**{**OPERATOR, "bic": ""}, amount=Decimal("1.50"))
    assert payload.split("\n")[4] == ""
    assert payload.endswith("\nEUR1.50")


@pytest.mark.parametrize(
    "change",
    [
        {"currency": "USD"},
        {"currency": "eur"},
        {"iban": "DE89370400440532013001"},
        {"bic": "NOTABIC"},
        {"name": ""},
        {"name": "N" * 71},
        {"amount": Decimal("0.00")},
        {"amount": Decimal("1000000000.00")},
        {"amount": Decimal("1.005")},
        {"reference": "RF19539007547034"},
        {"reference": "RF18539007547034", "text": "both"},
        {"text": "x" * 141},
    ],
)
def test_what_a_banking_app_would_refuse_is_refused(change):
    values = {**OPERATOR, "amount": Decimal("10.00"), **change}
    with pytest.raises(ValueError):
        epc_payload(**values)


def test_floats_are_not_amounts():
    with pytest.raises(ValueError):
        epc_payload(**OPERATOR, amount=10.0)


def test_limits_are_inclusive():
    payload = epc_payload(
        **{**OPERATOR, "name": "N" * 70}, amount=Decimal("999999999.99"), text="t" * 140
    )
    assert "EUR999999999.99" in payload
    assert len(payload.encode()) <= 331


def _svg_matrix(svg: str) -> list[list[bool]]:
    """The modules the SVG draws, read back from its path."""
    count = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    matrix = [[False] * count for _ in range(count)]
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", svg):
        for column in range(int(x), int(x) + int(width)):
            matrix[int(y)][column] = True
    return matrix


# The format information's 15 bits, read around the top-left finder pattern (ISO/IEC 18004,
# 7.9): XOR-masked with 101010000010010; the first two bits are the error correction level.
_FORMAT_CELLS = [(8, c) for c in (0, 1, 2, 3, 4, 5, 7, 8)] + [(r, 8) for r in (7, 5, 4, 3, 2, 1, 0)]


# Byte-mode capacity at level M of versions 1 to 13 (ISO/IEC 18004, table 7): 331 bytes, the
# EPC limit, is exactly version 13.
_CAPACITY_M = (14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331)


def _error_correction_level(modules: list[list[bool]]) -> str:
    bits = [modules[row][column] for row, column in _FORMAT_CELLS]
    value = int("".join("1" if bit else "0" for bit in bits), 2) ^ 0b101010000010010
    return {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}[value >> 13]


def test_the_svg_draws_a_level_m_code_of_the_expected_size_without_style_attributes():
    payload = epc_payload(**OPERATOR, amount=Decimal("119.00"), reference="RF18539007547034")
    svg = qr_svg(payload, label='QR code "to pay"')
    assert "style=" not in svg and "<style" not in svg
    assert 'fill="#000"' in svg and 'fill="#fff"' in svg
    assert 'aria-label="QR code &quot;to pay&quot;"' in svg
    matrix = _svg_matrix(svg)
    assert matrix == qr_matrix(payload)
    modules = [row[4:-4] for row in matrix[4:-4]]  # without the quiet zone
    assert not any(matrix[0]) and not any(row[0] for row in matrix)  # the quiet zone is white
    version = (len(modules) - 17) // 4
    assert len(modules) == 17 + 4 * version
    # The smallest version whose byte-mode capacity at level M holds the payload.
    assert version == next(v for v, bytes_ in enumerate(_CAPACITY_M, 1) if bytes_ >= 98)
    assert len(payload.encode()) == 98 and version == 6
    assert _error_correction_level(modules) == "M"
    # The three finder patterns: a dark 7×7 ring at three corners.
    for top, left in ((0, 0), (0, len(modules) - 7), (len(modules) - 7, 0)):
        assert all(modules[top][left + i] and modules[top + 6][left + i] for i in range(7))


def test_the_largest_payload_stays_within_version_13():
    payload = epc_payload(
        **{**OPERATOR, "name": "N" * 70}, amount=Decimal("999999999.99"), text="t" * 140
    )
    size = len(qr_matrix(payload)) - 8
    assert (size - 17) // 4 <= 13


def _png_from_matrix(matrix: list[list[bool]], scale: int = 6) -> bytes:
    image = Image.new("L", (len(matrix) * scale, len(matrix) * scale), 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _scan(png: bytes, tmp_path) -> str:
    path = tmp_path / "code.png"
    path.write_bytes(png)
    answer = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sbinary", str(path)],
        capture_output=True,
        check=True,
        timeout=20,
    )
    return answer.stdout.decode("utf-8")


def test_both_codes_scan_back_to_the_payload(tmp_path):
    if shutil.which("zbarimg") is None:
        require_or_skip("needs zbarimg (zbar-tools) to scan the code")
    payload = epc_payload(
        **{**OPERATOR, "name": "Zakład Usług Sp. z o.o. – Kraków"},
        amount=Decimal("1234.56"),
        reference="RF18539007547034",
    )
    svg_png = _png_from_matrix(_svg_matrix(qr_svg(payload)))
    assert _scan(svg_png, tmp_path) == payload
    png = base64.b64decode(qr_png_data_uri(payload).removeprefix("data:image/png;base64,"))
    assert _scan(png, tmp_path) == payload
