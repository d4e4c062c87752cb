import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from config.ui import DateTimeText
from customers.models import Customer


class CustomerTable(tables.Table):
    phone = tables.LinkColumn("customers:customer-detail", args=[tables.A("pk")])
    created_at = DateTimeText(format="Y-m-d")

    class Meta:
        model = Customer
        fields = ("phone", "name", "email", "status", "balance_policy", "language", "created_at")
        order_by = ("-created_at",)
        empty_text = _("No customers found.")
