import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.ui import day_filter
from payments.models import CustomerPayment, Method, Payout, PaypalIpn, TopUp


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


class CustomerPaymentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=CustomerPayment.Status.choices,
        label=_("Status"),
        empty_label=pgettext_lazy("payment status filter", "Any"),
    )
    reference = django_filters.CharFilter(
        field_name="reference", lookup_expr="icontains", label=_("Order")
    )
    date_from = day_filter("created_at")
    date_to = day_filter("created_at", until=True)

    class Meta:
        model = CustomerPayment
        fields = ["status", "reference", "date_from", "date_to"]


class StaffCustomerPaymentFilter(CustomerPaymentFilter):
    reseller = django_filters.CharFilter(
        field_name="reseller__name", lookup_expr="icontains", label=_("Reseller")
    )
    provider = django_filters.ChoiceFilter(
        choices=CustomerPayment.Provider.choices,
        label=_("Paid with"),
        empty_label=pgettext_lazy("payment gateway filter", "Any"),
    )

    class Meta(CustomerPaymentFilter.Meta):
        fields = ["reseller", "provider", "status", "reference", "date_from", "date_to"]


class PaypalIpnFilter(django_filters.FilterSet):
    verdict = django_filters.ChoiceFilter(
        choices=PaypalIpn.Verdict.choices,
        label=_("Verification"),
        empty_label=pgettext_lazy("IPN verdict filter", "Any"),
    )
    outcome = django_filters.ChoiceFilter(
        choices=PaypalIpn.Outcome.choices,
        label=_("Outcome"),
        empty_label=pgettext_lazy("IPN outcome filter", "Any"),
    )
    failed_check = django_filters.ChoiceFilter(
        choices=PaypalIpn.Check.choices[1:],
        label=_("Check failed"),
        empty_label=pgettext_lazy("IPN check filter", "Any"),
    )
    txn_id = django_filters.CharFilter(
        field_name="txn_id", lookup_expr="icontains", label=_("PayPal transaction ID")
    )
    date_from = day_filter("received_at")
    date_to = day_filter("received_at", until=True)

    class Meta:
        model = PaypalIpn
        fields = ["verdict", "outcome", "failed_check", "txn_id", "date_from", "date_to"]


class StaffPaypalIpnFilter(PaypalIpnFilter):
    reseller = django_filters.CharFilter(
        field_name="reseller__name", lookup_expr="icontains", label=_("Reseller")
    )

    class Meta(PaypalIpnFilter.Meta):
        fields = [
            "reseller",
            "verdict",
            "outcome",
            "failed_check",
            "txn_id",
            "date_from",
            "date_to",
        ]
