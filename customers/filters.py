import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Phone or name"), method="search")
    status = django_filters.ChoiceFilter(
        choices=Customer.Status.choices, label=_("Status"), empty_label=_("Any")
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
        digits = "".join(ch for ch in value if ch.isdigit())
        condition = Q(name__icontains=value)
        if digits:
            condition |= Q(phone__contains=digits)
        return queryset.filter(condition)

    def is_valid(self) -> bool:
        valid = super().is_valid()
        low, high = (self.form.cleaned_data.get(f) for f in ("balance_min", "balance_max"))
        if valid and low is not None and high is not None and low > high:
            self.form.add_error("balance_max", _("“To” must not be below “from”."))
            return False
        return valid
