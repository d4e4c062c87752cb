import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from config.ui import DateTimeText
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


class SubResellerTable(tables.Table):
    name = tables.LinkColumn("resellers:subreseller-detail", args=[tables.A("pk")])
    country = tables.Column(accessor="country__name", order_by=("country",))
    customer_count = tables.Column(verbose_name=_("Customers"))

    class Meta:
        model = Reseller
        fields = ("name", "legal_name", "country", "status", "commission_rate", "customer_count")
        order_by = ("name",)


class AuditEventTable(tables.Table):
    at = DateTimeText(format="Y-m-d H:i:s")
    actor = tables.Column(order_by=("actor__email",))
    reseller = tables.Column(order_by=("reseller__name",))
    data = tables.JSONColumn(orderable=False)

    class Meta:
        model = AuditEvent
        fields = ("at", "actor", "reseller", "action", "object_type", "object_id", "data")
        order_by = ("-at",)
