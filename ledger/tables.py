import datetime as dt
from decimal import Decimal, InvalidOperation

import django_tables2 as tables
import phonenumbers
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.masking import mask_name
from core.money import money_display, money_text, to_minor_unit
from core.ui import DateTimeText
from ledger.models import LedgerEntry, LedgerTransaction


class StaffTransactionTable(tables.Table):
    id = tables.LinkColumn(
        "ledger:staff-transaction-detail", args=[tables.A("pk")], text=lambda r: f"#{r.pk}"
    )
    created_at = DateTimeText(format="Y-m-d H:i:s")
    reseller = tables.Column(order_by=("reseller__name",), verbose_name=_("Reseller"))
    volume = tables.Column(verbose_name=_("Volume (credits)"), attrs={"td": {"class": "text-end"}})
    reversed = tables.Column(verbose_name=_("Reversed"), accessor="pk", orderable=False)

    class Meta:
        model = LedgerTransaction
        fields = ("id", "created_at", "kind", "reseller", "currency", "volume", "memo")
        order_by = ("-id",)

    def render_volume(self, record, value):
        return money_display(value, record.currency, exact=True)

    def render_reversed(self, record):
        if record.reversed_by_pk:
            return _("reversed by #%(id)s") % {"id": record.reversed_by_pk}
        if record.reverses_id:
            return _("reverses #%(id)s") % {"id": record.reverses_id}
        return "—"


class EntryTable(tables.Table):
    account = tables.Column(orderable=False, verbose_name=_("Account"))
    amount = tables.Column(attrs={"td": {"class": "text-end font-monospace"}}, orderable=False)
    balance_after = tables.Column(
        attrs={"td": {"class": "text-end font-monospace"}}, orderable=False
    )

    class Meta:
        model = LedgerEntry
        fields = ("id", "account", "amount", "balance_after")

    def render_amount(self, record, value):
        return money_display(value, record.account.currency, exact=True)

    def render_balance_after(self, record, value):
        return money_display(value, record.account.currency, exact=True)

    def render_account(self, record):
        url = reverse("ledger:staff-account-statement", kwargs={"pk": record.account_id})
        return format_html('<a href="{}">{}</a>', url, _account_label(record.account))


def _account_label(account) -> str:
    owner = {
        "operator": _("Operator"),
        "reseller": account.reseller.name if account.reseller_id else "",
        "customer": str(account.customer) if account.customer_id else "",
    }[account.owner_type]
    return f"{owner} · {account.get_kind_display()} ({account.currency})"


# --- The cashbook -----------------------------------------------------------------------------


def mask_phone(phone: str) -> str:
    """'+491791234567' → '+49 179 ***4567': the country and network, and the last 4 digits."""
    try:
        number = phonenumbers.parse(phone, None)
        spaced = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return f"***{phone[-4:]}"
    groups = spaced.split(" ")
    return " ".join([*groups[:2], f"***{phone[-4:]}"]) if len(groups) > 2 else f"***{phone[-4:]}"


def format_phone(phone: str) -> str:
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def cashbook_customer(record, reseller_id: int) -> str:
    """The customer a row recharged: in full when the reseller owns it, masked otherwise."""
    phone = getattr(record, "customer_phone", None)
    if not phone:
        return ""
    name = record.customer_name or ""
    if record.customer_reseller_id == reseller_id:
        return f"{name} · {format_phone(phone)}" if name else format_phone(phone)
    masked = mask_phone(phone)
    return f"{mask_name(name)} · {masked}" if name else masked


def cashbook_memo(record, reseller_id: int) -> str:
    """The memo, with the phone of a customer the reseller does not own masked."""
    memo = record.memo or ""
    phone = getattr(record, "customer_phone", None)
    if phone and record.customer_reseller_id != reseller_id:
        memo = memo.replace(phone, mask_phone(phone)).replace(
            format_phone(phone), mask_phone(phone)
        )
    return memo


def commission_plan_text(metadata: dict | None, currency: str) -> str:
    """The commission rate a sale earned and the plan it came from, as its transaction's
    metadata records it (customers' recharge: "commission_rate", "plan_id", "plan_from",
    "tier_from"): "5 % · plan from 1 Dec 2026", with "· from 1,000.00 € this month" for a
    tier; "" for a transaction without a rate (or written before rates were recorded)."""
    metadata = metadata or {}
    try:
        rate = Decimal(str(metadata["commission_rate"]))
    except (KeyError, InvalidOperation):
        return ""
    text = gettext("%(rate)s %%") % {"rate": floatformat(rate, "-2")}
    try:
        day = dt.date.fromisoformat(metadata["plan_from"])
    except (KeyError, TypeError, ValueError):
        return text
    text = gettext("%(rate)s · plan from %(day)s") % {
        "rate": text,
        "day": date_format(day, "j M Y"),
    }
    tier = metadata.get("tier_from")
    if tier is not None:
        text = gettext("%(plan)s · from %(sales)s of monthly sales") % {
            "plan": text,
            "sales": money_display(Decimal(str(tier)), currency),
        }
    return text


def _money(value, currency: str) -> str:
    """An amount rounded half-up to the currency's minor unit, written as the page's language
    writes numbers (the column heads and the page name the currency)."""
    return "" if value is None else money_text(value, currency)


_NOWRAP = {"td": {"class": "text-nowrap"}}


class _MoneyColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "attrs",
            {
                "td": {"class": "text-end font-monospace text-nowrap"},
                "th": {"class": "text-end money-heading"},
            },
        )
        kwargs.setdefault("orderable", False)
        super().__init__(*args, **kwargs)

    def render(self, value, record):
        return _money(value, record.currency)

    def value(self, value, record):
        """Exports carry numbers (spreadsheets can add them up), rounded to the minor unit."""
        return "" if value is None else to_minor_unit(value, record.currency)


class CashbookTable(tables.Table):
    """Rows of `ledger.selectors.cashbook_rows`; the CSV/XLSX exports use the same table."""

    created_at = DateTimeText(
        verbose_name=_("Date"), format="Y-m-d H:i", orderable=False, attrs=_NOWRAP
    )
    kind = tables.Column(verbose_name=_("Type"), orderable=False)
    customer = tables.Column(
        verbose_name=_("Customer"), accessor="pk", orderable=False, empty_values=()
    )
    memo = tables.Column(verbose_name=_("Note"), orderable=False)
    actor = tables.Column(verbose_name=_("By"), orderable=False)
    sales_amount = _MoneyColumn(verbose_name=_("Sales credit ±"))
    sales_after = _MoneyColumn(verbose_name=_("Sales credit"))
    commission_amount = _MoneyColumn(verbose_name=_("Commission ±"))
    commission_after = _MoneyColumn(verbose_name=_("Commission credit"))
    commission_plan = tables.Column(
        verbose_name=_("Commission rate"), accessor="pk", orderable=False, empty_values=()
    )

    class Meta:
        attrs = {
            "class": "table table-sm table-hover align-middle small",
            "data-testid": "cashbook",
        }
        orderable = False
        empty_text = _("No movements in this range.")

    def __init__(self, *args, reseller_id: int, **kwargs):
        self.reseller_id = reseller_id
        super().__init__(*args, **kwargs)

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record):
        return str(record.get_kind_display())

    def render_customer(self, record):
        name, sep, phone = cashbook_customer(record, self.reseller_id).rpartition(" · ")
        if not phone:
            return "—"
        return format_html('{}{}<span class="text-nowrap">{}</span>', name, sep, phone)

    def value_customer(self, record):
        return cashbook_customer(record, self.reseller_id)

    def render_memo(self, record):
        return cashbook_memo(record, self.reseller_id) or "—"

    def value_memo(self, record):
        return cashbook_memo(record, self.reseller_id)

    def render_commission_plan(self, record):
        return commission_plan_text(record.metadata, record.currency) or "—"

    def value_commission_plan(self, record):
        return commission_plan_text(record.metadata, record.currency)

    def render_actor(self, record):
        return _person(record.actor) or "—"

    def value_actor(self, record):
        return _person(record.actor)

    def value_created_at(self, record):
        return timezone.localtime(record.created_at).strftime("%Y-%m-%d %H:%M")


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email


class LatestMovementsTable(CashbookTable):
    """The dashboard's few latest cashbook rows: what happened, to whom, for how much."""

    created_at = DateTimeText(
        verbose_name=_("When"), format="Y-m-d H:i", orderable=False, attrs=_NOWRAP
    )
    sales_amount = _MoneyColumn(verbose_name=_("Sales credit"))
    commission_amount = _MoneyColumn(verbose_name=_("Commission"))

    class Meta(CashbookTable.Meta):
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        exclude = ("memo", "actor", "sales_after", "commission_after")
        empty_text = _("No movements yet.")
