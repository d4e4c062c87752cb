import django_tables2 as tables

from customers.models import Customer


class CustomerTable(tables.Table):
    phone = tables.LinkColumn("customers:customer-detail", args=[tables.A("pk")])

    class Meta:
        model = Customer
        fields = ("phone", "name", "email", "status", "balance_policy", "language", "created_at")
        order_by = ("-created_at",)
