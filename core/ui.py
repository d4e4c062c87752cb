"""Small helpers every list page uses: filtering that shows its errors, and pagination."""

from datetime import datetime

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import pgettext_lazy
from django_tables2 import RequestConfig, Table

from core.forms import IsoDateInput

PER_PAGE = 25


def filtered(filterset: django_filters.FilterSet) -> QuerySet:
    """The filtered rows; none while the filter form has errors (the form shows them)."""
    if filterset.is_valid():
        return filterset.qs
    return filterset.queryset.none()


def paginated(request, table: Table, per_page: int = PER_PAGE) -> Table:
    RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    return table


class DateTimeText(tables.Column):
    """A date or time cell formatted in Python: tables2's DateColumn renders a template per
    cell, which is most of a list page's time (bench/pages.py)."""

    def __init__(self, *args, format: str = "Y-m-d", **kwargs):
        self.format = format
        super().__init__(*args, **kwargs)

    def render(self, value):
        if isinstance(value, datetime):
            value = timezone.localtime(value)
        return date_format(value, self.format)


class PercentText(tables.Column):
    """A rate such as a commission: "10 %", "7,5 %" in de/fr/pl (the page's decimal sign)."""

    def render(self, value):
        return f"{floatformat(value, '-2')} %"


def day_filter(field_name: str, *, until: bool = False) -> django_filters.DateFilter:
    """A date picker filtering a datetime field by local day: "From" (inclusive) or "To"."""
    return django_filters.DateFilter(
        field_name=field_name,
        lookup_expr="date__lte" if until else "date__gte",
        label=pgettext_lazy("date range", "To") if until else pgettext_lazy("date range", "From"),
        widget=IsoDateInput(),
    )
