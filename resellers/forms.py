from django import forms
from django.utils.translation import gettext_lazy as _


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Shown to the reseller's users and kept in the audit log."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. unpaid invoices")}),
    )
