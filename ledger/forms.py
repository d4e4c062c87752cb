import datetime as dt
import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import IsoDateInput, PlainDecimalField
from core.money import minor_digits, money_display, to_minor_unit
from ledger.actions import OVER_COMMISSION
from ledger.models import LedgerTransaction


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Kept with the reversal and in the audit log."),
    )


class CashbookFilterForm(forms.Form):
    """The cashbook's range (default: this month) and type. Days are local, both inclusive."""

    MAX_DAYS = 366

    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"), required=False, widget=IsoDateInput()
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"), required=False, widget=IsoDateInput()
    )
    kind = forms.ChoiceField(label=_("Type"), required=False)

    def __init__(self, data=None, *, today: dt.date):
        self.today = today
        super().__init__(data)
        self.fields["kind"].choices = [("", _("All types")), *CASHBOOK_KINDS]
        self.fields["date_from"].widget.attrs["placeholder"] = today.replace(day=1).isoformat()

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("date_from") or self.today.replace(day=1)
        end = cleaned.get("date_to") or self.today
        if "date_from" in self.errors or "date_to" in self.errors:
            return cleaned
        if start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        if (end - start).days >= self.MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a range of at most %(days)s days.") % {"days": self.MAX_DAYS}
            )
        cleaned["date_from"], cleaned["date_to"] = start, end
        return cleaned

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes: from the first day's midnight to after the last."""
        start, end = self.cleaned_data["date_from"], self.cleaned_data["date_to"]
        return (
            timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
            timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)),
        )

    def kinds(self) -> tuple[str, ...]:
        kind = self.cleaned_data.get("kind")
        return CASHBOOK_KIND_GROUPS.get(kind, (kind,)) if kind else ()


Kind = LedgerTransaction.Kind
# Types the cashbook filters by; "sale" covers recharges (the Sales Panel's sales) too.
CASHBOOK_KINDS = [
    ("sale", _("Sale / recharge")),
    (Kind.TOPUP, Kind.TOPUP.label),
    (Kind.TRANSFER, Kind.TRANSFER.label),
    (Kind.COMMISSION_TRANSFER, Kind.COMMISSION_TRANSFER.label),
    (Kind.COMMISSION, Kind.COMMISSION.label),
    (Kind.PAYOUT, Kind.PAYOUT.label),
    (Kind.APPROVAL_RELEASE, Kind.APPROVAL_RELEASE.label),
    (Kind.FEE, Kind.FEE.label),
    (Kind.USAGE, Kind.USAGE.label),
    (Kind.ADJUSTMENT, Kind.ADJUSTMENT.label),
    (Kind.REVERSAL, Kind.REVERSAL.label),
]
CASHBOOK_KIND_GROUPS = {"sale": (Kind.RECHARGE, Kind.SALE)}


class CommissionTransferForm(forms.Form):
    """How much commission credit to move to sales credit; `available` bounds it."""

    amount = PlainDecimalField(label=_("Amount"), max_digits=14)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, available: Decimal | None, currency: str, **kwargs):
        self.available, self.currency = available, currency
        initial = kwargs.pop("initial", None) or {}
        initial.setdefault("idempotency_key", uuid.uuid4())
        super().__init__(data, initial=initial, **kwargs)
        places = minor_digits(currency)
        self.fields["amount"].widget.attrs.update(
            {"min": "0", "step": str(Decimal(1).scaleb(-places)), "inputmode": "decimal"}
        )
        if available is not None:
            self.fields["amount"].help_text = _("Up to %(available)s.") % {
                "available": money_display(available, currency)
            }
        self.fields["idempotency_key"].error_messages["required"] = _(
            "The form is incomplete; reload the page and try again."
        )
        self.fields["idempotency_key"].error_messages["invalid"] = _(
            "The form is incomplete; reload the page and try again."
        )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError(_("Enter an amount greater than zero."))
        if to_minor_unit(amount, self.currency) != amount:
            raise forms.ValidationError(
                _("Use at most %(places)s decimal places.")
                % {"places": minor_digits(self.currency)}
            )
        if self.available is not None and amount > self.available:
            raise forms.ValidationError(over_available(self.available, self.currency))
        return amount


def over_available(available: Decimal, currency: str) -> str:
    return OVER_COMMISSION % {"available": money_display(available, currency)}
