"""`{% load money %}`: amounts as the page's language writes them (core.money).

{{ amount|money:currency }}         →  €1,234.50 · 1.234,50 € · 1 234,50 zł
{{ amount|amount:currency }}        →  1,234.50 · 1.234,50 · 1 234,50 (the currency shown apart)
{{ amount|ledger_money:currency }}  →  €0.0125 · 0,0125 € (ledger entries as booked: the digits
                                       below the minor unit kept when there are any)
"""

from django import template

from core.money import money_display, money_text

register = template.Library()


@register.filter
def money(value, currency) -> str:
    return "" if value is None or value == "" else money_display(value, str(currency))


@register.filter
def amount(value, currency) -> str:
    return "" if value is None or value == "" else money_text(value, str(currency))


@register.filter
def ledger_money(value, currency) -> str:
    if value is None or value == "":
        return ""
    return money_display(value, str(currency), exact=True)
