import django_filters
from django.utils.translation import gettext_lazy as _

from sms.models import Message


class InboxFilter(django_filters.FilterSet):
    """The inbox's filter form; the rows come from sms.selectors.message_inbox."""

    recipient = django_filters.CharFilter(label=_("Recipient"), max_length=20, method="by_selector")
    status = django_filters.ChoiceFilter(
        choices=Message.Status.choices,
        label=_("Status"),
        empty_label=_("Any"),
        method="by_selector",
    )

    class Meta:
        model = Message
        fields = ["recipient", "status"]

    def by_selector(self, queryset, name, value):
        return queryset  # message_inbox applies the cleaned values
