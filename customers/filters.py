import contextlib

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.phones import InvalidPhoneNumber, phone_normalise
from customers.models import Customer


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Phone or name"), method="search")
    status = django_filters.ChoiceFilter(
        choices=Customer.Status.choices,
        label=_("Status"),
        empty_label=pgettext_lazy("customer status filter", "Any"),
    )
    balance_min = django_filters.NumberFilter(
        field_name="balance", lookup_expr="gte", label=_("Balance from")
    )
    balance_max = django_filters.NumberFilter(
        field_name="balance", lookup_expr="lte", label=_("Balance to")
    )

    class Meta:
        model = Customer
        fields = ["q", "status", "balance_min", "balance_max"]

    def search(self, queryset, name, value):
        """A whole number in any format the forms take (`+49 179 1234567`, `0179 1234567` in
        the reseller's country) finds that number; other text a name or part of a number."""
        digits = "".join(ch for ch in value if ch.isdigit())
        condition = Q(name__icontains=value)
        if digits:
            condition |= Q(phone__contains=digits)
        reseller = getattr(self.request, "reseller", None)
        region = str(reseller.country) if reseller is not None and reseller.country else None
        with contextlib.suppress(InvalidPhoneNumber):  # else a name or part of a number
            condition |= Q(phone=phone_normalise(value, default_region=region))
        return queryset.filter(condition)

    def is_valid(self) -> bool:
        valid = super().is_valid()
        low, high = (self.form.cleaned_data.get(f) for f in ("balance_min", "balance_max"))
        if valid and low is not None and high is not None and low > high:
            self.form.add_error("balance_max", _("“To” must not be below “from”."))
            return False
        return valid
