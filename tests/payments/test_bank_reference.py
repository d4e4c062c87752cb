"""RF creditor references (ISO 11649): made, checked, formatted and found in free text."""

from __future__ import annotations

import pytest
from stdnum import iso11649

from payments.bank.reference import (
    find_rf_references,
    rf_compact,
    rf_format,
    rf_reference,
    rf_valid,
)


def test_the_standard_example_gets_its_check_digits():
    # ISO 11649's own example: body 539007547034 → RF18 5390 0754 7034.
    assert rf_reference(body="539007547034") == "RF18539007547034"
    assert rf_format("RF18539007547034") == "RF18 5390 0754 7034"


@pytest.mark.parametrize("body", ["1", "T000101", "tsr 0001 23", "A" * 21, "0" * 21])
def test_every_reference_made_is_valid_for_the_library_too(body):
    reference = rf_reference(body=body)
    assert iso11649.is_valid(reference)
    assert rf_valid(reference)
    assert reference == reference.upper() and " " not in reference
    assert reference[4:] == "".join(body.split()).upper()


@pytest.mark.parametrize("body", ["", "A" * 22, "T-0001", "Zürich", "12 34_5"])
def test_a_body_that_cannot_be_one_is_refused(body):
    with pytest.raises(ValueError):
        rf_reference(body=body)


def test_valid_ignores_spaces_and_case_but_not_a_wrong_digit():
    assert rf_valid("rf18 5390 0754 7034")
    assert not rf_valid("RF18 5390 0754 7035")  # one digit off
    assert not rf_valid("RF81 5390 0754 7034")  # check digits swapped
    assert not rf_valid("DE18539007547034")
    assert not rf_valid("")
    assert rf_compact(" rf18 5390 0754 7034 ") == "RF18539007547034"


def test_every_single_typo_in_a_reference_is_caught():
    """A digit mistyped as another digit, a letter as another letter: mod 97 catches each."""
    reference = rf_reference(body="T000101")
    for position in range(2, len(reference)):
        same_kind = "0123456789" if reference[position].isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        for replacement in same_kind:
            if replacement == reference[position]:
                continue
            typo = reference[:position] + replacement + reference[position + 1 :]
            assert not rf_valid(typo), typo


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RF18539007547034", ["RF18539007547034"]),
        ("Aufladung rf18 5390 0754 7034 danke", ["RF18539007547034"]),
        ("Proforma PF-2026-0002 RF18 5390\n0754 7034", ["RF18539007547034"]),
        ("REF:RF18539007547034/INV 7", ["RF18539007547034"]),
        ("RF95T000101 and RF68 T000 102", ["RF95T000101", "RF68T000102"]),
        ("RF95T000101 twice: rf95t000101", ["RF95T000101"]),
        ("wrong check digits RF19539007547034", []),
        ("inside a word XRF18539007547034", []),
        ("no reference here, RF only", []),
        ("", []),
    ],
)
def test_references_are_found_in_remittance_text(text, expected):
    assert find_rf_references(text) == expected


def test_the_words_after_a_reference_do_not_spoil_it():
    reference = rf_reference(body="T000101")
    for tail in ("Danke", "INV 2026 0001", "1234", "Kundennummer 4711 vom 27.11."):
        assert find_rf_references(f"Zahlung {rf_format(reference)} {tail}") == [reference]
