import django_tables2 as tables
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.ui import DateTimeText
from resellers.models import AdvertisingRequest, AuditEvent, Reseller


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


class AdvertisingRequestTable(tables.Table):
    """A reseller's own requests."""

    id = tables.LinkColumn(
        "resellers:advertising-detail", args=[tables.A("pk")], verbose_name=_("Request")
    )
    created_at = DateTimeText(format="Y-m-d")
    status_changed_at = DateTimeText(format="Y-m-d H:i", verbose_name=_("Updated"))

    class Meta:
        model = AdvertisingRequest
        fields = ("id", "created_at", "kind", "quantity", "city", "status", "status_note")
        sequence = (
            "id",
            "created_at",
            "kind",
            "quantity",
            "city",
            "status",
            "status_changed_at",
            "status_note",
        )
        order_by = ("-created_at",)

    def render_id(self, value):
        return f"#{value}"


class StaffAdvertisingRequestTable(tables.Table):
    id = tables.LinkColumn(
        "resellers:staff-advertising-detail", args=[tables.A("pk")], verbose_name=_("Request")
    )
    reseller = tables.Column(order_by=("reseller__name",))
    created_at = DateTimeText(format="Y-m-d")
    age = tables.Column(verbose_name=_("Age (days)"), accessor="created_at", orderable=False)
    country = tables.Column(accessor="country__code", order_by=("country",))

    class Meta:
        model = AdvertisingRequest
        fields = ("id", "created_at", "reseller", "kind", "quantity", "city", "country", "status")
        sequence = (
            "id",
            "created_at",
            "age",
            "reseller",
            "kind",
            "quantity",
            "city",
            "country",
            "status",
        )
        order_by = ("created_at",)

    def render_id(self, value):
        return f"#{value}"

    def render_age(self, value):
        return (timezone.now() - value).days
