import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.ui import day_filter
from payments.models import Method, Payout, TopUp


class StaffTopUpFilter(django_filters.FilterSet):
    reseller = django_filters.CharFilter(
        field_name="reseller__name", lookup_expr="icontains", label=_("Reseller")
    )
    method = django_filters.ChoiceFilter(
        choices=Method.choices,
        label=_("Payment method"),
        empty_label=pgettext_lazy("payment gateway filter", "Any"),
    )
    status = django_filters.ChoiceFilter(
        choices=TopUp.Status.choices,
        label=_("Status"),
        empty_label=pgettext_lazy("payment status filter", "Any"),
    )
    reference = django_filters.CharFilter(
        field_name="reference", lookup_expr="icontains", label=_("Reference")
    )
    attention = django_filters.ChoiceFilter(
        choices=[("yes", _("Yes")), ("no", _("No"))],
        label=_("Needs attention"),
        empty_label=pgettext_lazy("needs attention filter", "Any"),
        method="filter_attention",
    )
    date_from = day_filter("created_at")
    date_to = day_filter("created_at", until=True)

    class Meta:
        model = TopUp
        fields = ["reseller", "method", "status", "reference", "attention", "date_from", "date_to"]

    def filter_attention(self, queryset, name, value):
        if value == "yes":
            return queryset.exclude(attention="")
        return queryset.filter(attention="") if value == "no" else queryset


class StaffPayoutFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Payout.Status.choices,
        label=_("Status"),
        empty_label=pgettext_lazy("payout status filter", "Any"),
    )
    reseller = django_filters.CharFilter(
        field_name="reseller__name", lookup_expr="icontains", label=_("Reseller")
    )
    date_from = day_filter("created_at")
    date_to = day_filter("created_at", until=True)

    class Meta:
        model = Payout
        fields = ["status", "reseller", "date_from", "date_to"]
