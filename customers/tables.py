import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from config.ui import DateTimeText
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
        return f"{value:.2f} {self.currency}"
