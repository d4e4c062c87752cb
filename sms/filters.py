import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.phones import InvalidPhoneNumber, phone_normalise
from sms.models import Message


class InboxFilter(django_filters.FilterSet):
    """The inbox's filter form; the rows come from sms.selectors.message_inbox."""

    recipient = django_filters.CharFilter(
        label=_("Recipient"),
        max_length=32,
        method="by_selector",
        help_text=_("A mobile number with its country code, e.g. +49 179 1234567."),
    )
    status = django_filters.ChoiceFilter(
        choices=Message.Status.choices,
        label=_("Status"),
        empty_label=pgettext_lazy("SMS status filter", "Any"),
        method="by_selector",
    )

    class Meta:
        model = Message
        fields = ["recipient", "status"]

    def by_selector(self, queryset, name, value):
        return queryset  # message_inbox applies the cleaned values

    def is_valid(self) -> bool:
        """Valid, and the recipient read as the forms read a number (E.164); a number that is
        not one is an error on the field, saying why, not an empty list."""
        valid = super().is_valid()
        raw = self.form.cleaned_data.get("recipient") if valid else None
        if raw:
            try:
                self.form.cleaned_data["recipient"] = phone_normalise(raw)
            except InvalidPhoneNumber as exc:
                self.form.add_error("recipient", exc.message)
                return False
        return valid
