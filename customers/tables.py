import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from core.money import money_display
from core.ui import DateTimeText
from customers.models import Customer


class CustomerTable(tables.Table):
    phone = tables.LinkColumn("customers:customer-detail", args=[tables.A("pk")])
    balance = tables.Column(verbose_name=_("Balance"), attrs={"td": {"class": "text-end"}})
    created_at = DateTimeText(format="Y-m-d")

    class Meta:
        model = Customer
        fields = ("phone", "name", "balance", "status", "language", "created_at")
        order_by = ("-created_at",)
        empty_text = _("No customers found.")

    def __init__(self, *args, currency: str, **kwargs):
        self.currency = currency
        super().__init__(*args, **kwargs)

    def render_balance(self, value):
        return money_display(value, self.currency)


class CustomerAccountTable(tables.Table):
    """ "Manage accounts": the reseller's own customers with their balances."""

    name = tables.Column(verbose_name=_("Name"))
    phone = tables.Column(verbose_name=_("Mobile number"))
    balance = tables.Column(
        verbose_name=_("Balance"),
        attrs={"td": {"class": "text-end font-monospace"}, "th": {"class": "text-end"}},
    )

    class Meta:
        model = Customer
        fields = ("name", "phone", "status", "balance")
        order_by = ("name",)
        empty_text = _("No customers yet.")

    def __init__(self, *args, currency: str, **kwargs):
        self.currency = currency
        super().__init__(*args, **kwargs)

    def render_balance(self, value):
        return money_display(value, self.currency)
