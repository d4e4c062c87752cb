"""The invoice lists' filters: payment status, kind, a month or a range of issue dates, and
a search over number, buyer and payment reference (billing.selectors does the filtering)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing import selectors
from billing.models import Invoice
from core.forms import IsoDateInput


class MonthInput(forms.DateInput):
    """The browser's month picker; its value is always `2026-11`."""

    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A month typed or picked as `2026-11` (the first day of it)."""

    widget = MonthInput
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": _("Enter a month as year and month, e.g. 2026-11.")}


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class InvoiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        help_text=_("Number, buyer or payment reference"),
    )
    status = django_filters.ChoiceFilter(
        choices=Invoice.Payment.choices,
        method="filter_status",
        label=_("Payment"),
        empty_label=pgettext_lazy("invoice payment filter", "Any"),
    )
    kind = django_filters.ChoiceFilter(
        choices=Invoice.Kind.choices,
        label=_("Kind"),
        empty_label=pgettext_lazy("invoice kind filter", "Any"),
    )
    month = MonthFilter(method="filter_month", label=_("Month"))
    date_from = django_filters.DateFilter(
        field_name="issue_date",
        lookup_expr="gte",
        label=pgettext_lazy("date range", "From"),
        widget=IsoDateInput(),
    )
    date_to = django_filters.DateFilter(
        field_name="issue_date",
        lookup_expr="lte",
        label=pgettext_lazy("date range", "To"),
        widget=IsoDateInput(),
    )

    class Meta:
        model = Invoice
        fields = ["q", "status", "kind", "month", "date_from", "date_to"]

    def filter_search(self, queryset, name, value):
        return selectors.invoices_matching(queryset, value)

    def filter_status(self, queryset, name, value):
        return selectors.invoices_by_payment(queryset, value)

    def filter_month(self, queryset, name, value):
        first, last = selectors.month_bounds(value)
        return queryset.filter(issue_date__range=(first, last))


class StaffInvoiceFilter(InvoiceFilter):
    reseller = django_filters.CharFilter(
        field_name="reseller__name", lookup_expr="icontains", label=_("Reseller")
    )

    class Meta(InvoiceFilter.Meta):
        fields = ["reseller", *InvoiceFilter.Meta.fields]
