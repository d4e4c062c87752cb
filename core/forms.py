"""Form fields shared by every app."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# ASCII digits only ([0-9], not \d, which also matches "１０" and "٣"), an optional minus,
# and at most one decimal separator (a point, or the comma that de/fr/pl write). No exponent,
# no thousands separator, no spaces inside.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


class IsoDateInput(forms.DateInput):
    """A browser date picker. Its value is always ISO (`2026-11-01`) whatever the page's
    language: a `type="date"` field refuses the localised `01.11.2026` and shows nothing.
    The browser shows the date its own way and sends ISO back, which every DateField takes."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class PlainDecimalField(forms.DecimalField):
    """A DecimalField that takes only what a person types as an amount: "12.50", "12,50",
    "-5". Django's own also takes "1e-2", "１０" (full-width digits), "Infinity" and "NaN"
    spelled out, which the Decimal constructor reads."""

    default_error_messages = {
        "plain": _(
            "Enter the amount with the digits 0–9 and at most one decimal point, for example 12.50."
        ),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not _PLAIN_DECIMAL.fullmatch(text):
            raise ValidationError(self.error_messages["plain"], code="plain")
        return super().to_python(text.replace(",", "."))
