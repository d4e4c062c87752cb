"""Amounts as each of the portal's languages writes them (core.money, the `money` filter)."""

import pytest
from django.template import Context, Template
from django.utils import translation

from core.money import money_display, money_text

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("language", "eur", "pln", "chf"),
    [
        ("en", "-€1,234.51", f"PLN{NBSP}1,234.50", f"CHF{NBSP}5.00"),
        ("de", f"-1.234,51{NBSP}€", f"1.234,50{NBSP}PLN", f"5,00{NBSP}CHF"),
        ("fr", f"-1{NNBSP}234,51{NBSP}€", f"1{NNBSP}234,50{NBSP}PLN", f"5,00{NBSP}CHF"),
        ("pl", f"-1{NBSP}234,51{NBSP}€", f"1{NBSP}234,50{NBSP}zł", f"5,00{NBSP}CHF"),
    ],
)
def test_each_language_places_the_currency_its_own_way(language, eur, pln, chf):
    assert money_display("-1234.505", "EUR", language=language) == eur  # half-up
    assert money_display("1234.5", "PLN", language=language) == pln
    assert money_display("5", "CHF", language=language) == chf


@pytest.mark.parametrize(
    ("language", "text"), [("en", "1,234.50"), ("de", "1.234,50"), ("pl", f"1{NBSP}234,50")]
)
def test_amounts_without_the_currency_follow_the_language(language, text):
    assert money_text("1234.5", "EUR", language=language) == text


def test_the_filters_follow_the_active_language():
    template = Template(
        "{% load money %}{{ a|money:'EUR' }}|{{ a|amount:'EUR' }}|{{ none|money:'EUR' }}"
    )
    with translation.override("de"):
        assert template.render(Context({"a": "10", "none": None})) == f"10,00{NBSP}€|10,00|"
    with translation.override("en"):
        assert template.render(Context({"a": "10", "none": None})) == "€10.00|10.00|"
