import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from ledger.models import LedgerTransaction


class StaffTransactionFilter(django_filters.FilterSet):
    reseller = django_filters.CharFilter(
        field_name="reseller__name", lookup_expr="icontains", label=_("Reseller")
    )
    account = django_filters.NumberFilter(
        label=_("Account id"), method="filter_account", min_value=1
    )
    kind = django_filters.ChoiceFilter(
        choices=LedgerTransaction.Kind.choices, label=_("Kind"), empty_label=_("Any")
    )
    date_from = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = LedgerTransaction
        fields = ["reseller", "account", "kind", "date_from", "date_to"]

    def filter_account(self, queryset, name, value):
        return queryset.filter(entries__account_id=value).distinct()
