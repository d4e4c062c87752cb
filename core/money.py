"""The one place money is rounded.

Ledger amounts keep 4 decimal places (`to_ledger`); invoices round to the currency's minor
unit, half-up (`to_minor_unit`). Floats are refused: money is `Decimal` or an exact string.
Shown to people, an amount is written as the page's language writes it (`money_text`,
`money_display`; the `money` template filter): one locale decides every number on a page.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils import translation
from moneyed import get_currency

LEDGER_PLACES = Decimal("0.0001")


class InvalidAmount(ValueError):
    """The value is not an exact, finite amount of money."""


def as_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise InvalidAmount("floats are not money; pass a Decimal or a string")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise InvalidAmount(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise InvalidAmount(f"not a finite amount: {value!r}")
    return amount


def to_ledger(value: Decimal | int | str) -> Decimal:
    """An amount with the ledger's 4 decimal places, rounded half-up."""
    return as_decimal(value).quantize(LEDGER_PLACES, rounding=ROUND_HALF_UP)


def to_minor_unit(value: Decimal | int | str, currency: str) -> Decimal:
    """An amount rounded half-up to the currency's minor unit (2 places for EUR, 0 for JPY)."""
    exponent = Decimal(1).scaleb(-_minor_digits(currency))
    return as_decimal(value).quantize(exponent, rounding=ROUND_HALF_UP)


def minor_digits(currency: str) -> int:
    """How many decimals the currency's minor unit has (2 for EUR, 0 for JPY)."""
    return _minor_digits(currency)


def _minor_digits(currency: str) -> int:
    try:
        sub_unit = get_currency(currency).sub_unit
    except Exception as exc:
        raise InvalidAmount(f"unknown currency {currency!r}") from exc
    digits = 0
    while sub_unit >= 10:
        sub_unit //= 10
        digits += 1
    return digits


def _locale(language: str | None) -> str:
    return translation.to_locale(language or translation.get_language() or settings.LANGUAGE_CODE)


def money_text(value: Decimal | int | str, currency: str, *, language: str | None = None) -> str:
    """An amount as a table or message shows it, without the currency: rounded half-up to the
    currency's minor unit, grouped and with the decimal sign of the page's language
    (`1,234.50`, `1.234,50`, `1 234,50`). Never `:.2f`, which rounds half-even and ignores the
    currency's minor unit."""
    digits = _minor_digits(currency)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(to_minor_unit(value, currency), format=pattern, locale=_locale(language))


def money_display(
    value: Decimal | int | str, currency: str, *, language: str | None = None, exact: bool = False
) -> str:
    """An amount with its currency, as people of the page's language write it: `€1,234.50`,
    `1.234,50 €`, `1 234,50 zł`; a currency without a symbol of its own keeps its code,
    spaced (`CHF 5.00`, `5,00 CHF`). `exact` keeps the ledger's digits below the minor unit
    when there are any (`€0.0125`), for the pages that show ledger entries as booked."""
    amount = _exact(value, currency) if exact else to_minor_unit(value, currency)
    text = format_currency(
        amount,
        currency,
        locale=_locale(language),
        currency_digits=True,
        decimal_quantization=not exact,
    )
    if text.lstrip("-").startswith(currency) and text.lstrip("-")[len(currency)].isdigit():
        text = text.replace(currency, currency + "\u00a0", 1)
    return text


def _exact(value: Decimal | int | str, currency: str) -> Decimal:
    """The ledger amount with as many decimals as it needs, at least the currency's minor unit:
    50.0000 → 50.00, 0.0125 → 0.0125."""
    ledger, minor = to_ledger(value), to_minor_unit(value, currency)
    return minor if ledger == minor else ledger.normalize()


class Money:
    """An amount with its currency that is written when it is shown, in the language active
    then (`str()`): a domain error raised with `available=Money(...)` reads "1.234,50 €" to
    the German reader and "€1,234.50" to the English one."""

    __slots__ = ("currency", "value")

    def __init__(self, value: Decimal | int | str, currency: str):
        self.value = as_decimal(value)
        self.currency = str(currency)

    def __str__(self) -> str:
        return money_display(self.value, self.currency)

    def __repr__(self) -> str:
        return f"Money({self.value!r}, {self.currency!r})"

    def __eq__(self, other) -> bool:
        if isinstance(other, Money):
            return (self.value, self.currency) == (other.value, other.currency)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value, self.currency))
