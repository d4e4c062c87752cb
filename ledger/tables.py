import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from config.ui import DateTimeText
from ledger.models import LedgerEntry, LedgerTransaction


class StaffTransactionTable(tables.Table):
    id = tables.LinkColumn(
        "ledger:staff-transaction-detail", args=[tables.A("pk")], text=lambda r: f"#{r.pk}"
    )
    created_at = DateTimeText(format="Y-m-d H:i:s")
    reseller = tables.Column(order_by=("reseller__name",))
    volume = tables.Column(verbose_name=_("Volume (credits)"), attrs={"td": {"class": "text-end"}})
    reversed = tables.Column(verbose_name=_("Reversed"), accessor="pk", orderable=False)

    class Meta:
        model = LedgerTransaction
        fields = ("id", "created_at", "kind", "reseller", "currency", "volume", "memo")
        order_by = ("-id",)

    def render_volume(self, record, value):
        return f"{value:,.4f}"

    def render_reversed(self, record):
        if record.reversed_by_pk:
            return _("reversed by #%(id)s") % {"id": record.reversed_by_pk}
        if record.reverses_id:
            return _("reverses #%(id)s") % {"id": record.reverses_id}
        return "—"


class EntryTable(tables.Table):
    account = tables.Column(orderable=False)
    amount = tables.Column(attrs={"td": {"class": "text-end font-monospace"}}, orderable=False)
    balance_after = tables.Column(
        attrs={"td": {"class": "text-end font-monospace"}}, orderable=False
    )

    class Meta:
        model = LedgerEntry
        fields = ("id", "account", "amount", "balance_after")

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
