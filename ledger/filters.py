import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.ui import day_filter
from ledger.models import LedgerTransaction


class StaffTransactionFilter(django_filters.FilterSet):
    reseller = django_filters.CharFilter(
        field_name="reseller__name", lookup_expr="icontains", label=_("Reseller")
    )
    account = django_filters.NumberFilter(
        label=_("Account id"), method="filter_account", min_value=1
    )
    kind = django_filters.ChoiceFilter(
        choices=LedgerTransaction.Kind.choices,
        label=_("Kind"),
        empty_label=pgettext_lazy("transaction kind filter", "Any"),
    )
    date_from = day_filter("created_at")
    date_to = day_filter("created_at", until=True)

    class Meta:
        model = LedgerTransaction
        fields = ["reseller", "account", "kind", "date_from", "date_to"]

    def filter_account(self, queryset, name, value):
        return queryset.filter(entries__account_id=value).distinct()
