import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.models import AuditEvent
from core.ui import day_filter
from resellers.models import AdvertisingRequest, Reseller


class StaffResellerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(
        choices=Reseller.Status.choices,
        label=_("Status"),
        empty_label=pgettext_lazy("reseller status filter", "Any"),
    )
    level = django_filters.ChoiceFilter(
        label=_("Level"),
        method="filter_level",
        empty_label=pgettext_lazy("reseller level filter", "All"),
        choices=[("direct", _("Direct resellers")), ("sub", _("Sub-resellers"))],
    )

    class Meta:
        model = Reseller
        fields = ["q", "status", "level"]

    def filter_level(self, queryset, name, value):
        return queryset.filter(parent__isnull=(value == "direct"))

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(legal_name__icontains=value)
            | Q(vat_id__icontains=value)
            | Q(contact_email__icontains=value)
        )


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(lookup_expr="istartswith", label=_("Action starts with"))
    reseller = django_filters.CharFilter(
        field_name="reseller__name", lookup_expr="icontains", label=_("Reseller")
    )
    actor = django_filters.CharFilter(
        field_name="actor__email", lookup_expr="icontains", label=_("Actor e-mail")
    )
    date_from = day_filter("at")
    date_to = day_filter("at", until=True)

    class Meta:
        model = AuditEvent
        fields = ["action", "reseller", "actor", "date_from", "date_to"]


class StaffApplicationFilter(django_filters.FilterSet):
    """The review queue: open applications unless another status is chosen."""

    status = django_filters.ChoiceFilter(
        choices=Reseller.Status.choices,
        label=_("Status"),
        empty_label=pgettext_lazy("reseller status filter", "Any"),
    )
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Reseller
        fields = ["status", "q"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "status" not in data:
            data = data.copy()
            data["status"] = Reseller.Status.APPLIED
        super().__init__(data, *args, **kwargs)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(legal_name__icontains=value)
            | Q(vat_id__icontains=value)
            | Q(tax_id__icontains=value)
            | Q(contact_email__icontains=value)
        )


class StaffAdvertisingRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=AdvertisingRequest.Status.choices,
        label=_("Status"),
        empty_label=pgettext_lazy("advertising status filter", "Any"),
    )
    kind = django_filters.ChoiceFilter(
        choices=AdvertisingRequest.Kind.choices,
        label=_("Material"),
        empty_label=pgettext_lazy("advertising material filter", "Any"),
    )
    reseller = django_filters.CharFilter(
        field_name="reseller__name", lookup_expr="icontains", label=_("Reseller")
    )

    class Meta:
        model = AdvertisingRequest
        fields = ["status", "kind", "reseller"]
