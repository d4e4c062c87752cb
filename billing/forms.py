import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.filters import MonthField


def last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


class ExportForm(forms.Form):
    month = MonthField(
        label=_("Month"), help_text=_("Every invoice and credit note issued in this month.")
    )

    def __init__(self, *args, month: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("month", month or last_month())


class StaffExportForm(ExportForm):
    reseller = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Reseller"),
        empty_label=_("All resellers"),
    )

    def __init__(self, *args, resellers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reseller"].queryset = resellers
        self.order_fields(["month", "reseller"])
