from django import forms
from django.utils.translation import gettext_lazy as _


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Kept with the reversal and in the audit log."),
    )
