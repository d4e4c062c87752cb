import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from config.ui import DateTimeText
from customers.models import Customer
from resellers.models import AuditEvent, Reseller


class StaffResellerTable(tables.Table):
    name = tables.LinkColumn("resellers:staff-reseller-detail", args=[tables.A("pk")])
    parent = tables.Column(verbose_name=_("Parent"), empty_values=(), order_by=("parent__name",))
    country = tables.Column(accessor="country__name", order_by=("country",))
    currency = tables.Column(order_by=("currency",))
    customer_count = tables.Column(verbose_name=_("Customers"))
    member_count = tables.Column(verbose_name=_("Users"))
    created_at = DateTimeText(format="Y-m-d")

    class Meta:
        model = Reseller
        fields = (
            "name",
            "legal_name",
            "country",
            "status",
            "parent",
            "currency",
            "commission_rate",
            "customer_count",
            "member_count",
            "created_at",
        )
        order_by = ("name",)

    def render_parent(self, record):
        return record.parent.name if record.parent_id else _("Operator")


def _money(value) -> str:
    return f"{value:,.2f}"


class SubResellerTable(tables.Table):
    name = tables.LinkColumn("resellers:subreseller-detail", args=[tables.A("pk")])
    country = tables.Column(
        accessor="country__name", order_by=("country",), verbose_name=_("Country")
    )
    customer_count = tables.Column(verbose_name=_("Customers"))
    sales_credit = tables.Column(
        verbose_name=_("Sales credit"), attrs={"td": {"class": "text-end font-monospace"}}
    )

    class Meta:
        model = Reseller
        fields = (
            "name",
            "legal_name",
            "country",
            "status",
            "commission_rate",
            "customer_count",
            "sales_credit",
        )
        order_by = ("name",)

    def render_sales_credit(self, record, value):
        return f"{_money(value)} {record.currency}"


class SubResellerAccountTable(tables.Table):
    """Manage accounts: a sub-reseller per row, its balance and the way to add credits."""

    customer_count = tables.Column(verbose_name=_("Customers"))
    sales_credit = tables.Column(
        verbose_name=_("Sales credit"), attrs={"td": {"class": "text-end font-monospace"}}
    )
    actions = tables.TemplateColumn(
        template_name="resellers/includes/account_actions.html",
        verbose_name=_("Actions"),
        orderable=False,
    )

    class Meta:
        model = Reseller
        fields = ("name", "status", "commission_rate", "customer_count", "sales_credit", "actions")
        order_by = ("name",)
        row_attrs = {"data-testid": lambda record: f"account-{record.slug}"}

    def render_sales_credit(self, record, value):
        return f"{_money(value)} {record.currency}"


class CustomerAccountTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"))
    phone = tables.Column(verbose_name=_("Mobile number"))
    balance = tables.Column(
        verbose_name=_("Balance"), attrs={"td": {"class": "text-end font-monospace"}}
    )

    class Meta:
        model = Customer
        fields = ("name", "phone", "status", "balance")
        order_by = ("name",)

    def render_balance(self, record, value):
        return _money(value)


class AuditEventTable(tables.Table):
    at = DateTimeText(format="Y-m-d H:i:s")
    actor = tables.Column(order_by=("actor__email",))
    reseller = tables.Column(order_by=("reseller__name",))
    data = tables.JSONColumn(orderable=False)

    class Meta:
        model = AuditEvent
        fields = ("at", "actor", "reseller", "action", "object_type", "object_id", "data")
        order_by = ("-at",)
