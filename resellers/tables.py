import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from core.money import money_display
from core.ui import DateTimeText, PercentText
from resellers.models import AdvertisingRequest, Reseller, TermsDocument
from resellers.services.onboarding import OVERDUE_AFTER_DAYS, REMINDER_AFTER_DAYS

# Money columns: right-aligned figures under a right-aligned heading.
_MONEY_CELL = {"td": {"class": "text-end font-monospace"}, "th": {"class": "text-end"}}


class StaffResellerTable(tables.Table):
    name = tables.LinkColumn("resellers:staff-reseller-detail", args=[tables.A("pk")])
    parent = tables.Column(verbose_name=_("Parent"), empty_values=(), order_by=("parent__name",))
    country = tables.Column(
        accessor="country__name", order_by=("country",), verbose_name=_("Country")
    )
    # djmoney's CurrencyField takes no verbose name (its first argument is the price field).
    currency = tables.Column(order_by=("currency",), verbose_name=_("Currency"))
    commission_rate = PercentText(
        accessor="commission_in_force",
        order_by=("commission_in_force",),
        verbose_name=Reseller._meta.get_field("commission_rate").verbose_name,
    )
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
    country = tables.Column(
        accessor="country__name", order_by=("country",), verbose_name=_("Country")
    )
    customer_count = tables.Column(verbose_name=_("Customers"))
    sales_credit = tables.Column(verbose_name=_("Sales credit"), attrs=_MONEY_CELL)
    commission_rate = PercentText(
        accessor="commission_in_force",
        order_by=("commission_in_force",),
        verbose_name=Reseller._meta.get_field("commission_rate").verbose_name,
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
        empty_text = _("No sub-resellers yet.")

    def render_sales_credit(self, record, value):
        return money_display(value, str(record.currency))


class SubResellerAccountTable(tables.Table):
    """Manage accounts: a sub-reseller per row, its balance and the way to add credits."""

    customer_count = tables.Column(verbose_name=_("Customers"))
    sales_credit = tables.Column(verbose_name=_("Sales credit"), attrs=_MONEY_CELL)
    actions = tables.TemplateColumn(
        template_name="resellers/includes/account_actions.html",
        verbose_name=_("Actions"),
        orderable=False,
    )
    commission_rate = PercentText(
        accessor="commission_in_force",
        order_by=("commission_in_force",),
        verbose_name=Reseller._meta.get_field("commission_rate").verbose_name,
    )

    class Meta:
        model = Reseller
        fields = ("name", "status", "commission_rate", "customer_count", "sales_credit", "actions")
        order_by = ("name",)
        row_attrs = {"data-testid": lambda record: f"account-{record.slug}"}
        empty_text = _("No sub-resellers yet.")

    def render_sales_credit(self, record, value):
        return money_display(value, str(record.currency))


class AuditEventTable(tables.Table):
    at = DateTimeText(format="Y-m-d H:i:s", attrs={"td": {"class": "text-nowrap"}})
    actor = tables.Column(order_by=("actor__email",))
    reseller = tables.Column(order_by=("reseller__name",))
    action = tables.Column(verbose_name=_("What happened"))
    data = tables.JSONColumn(orderable=False)

    class Meta:
        model = AuditEvent
        fields = ("at", "actor", "reseller", "action", "object_type", "object_id", "data")
        order_by = ("-at",)

    def render_action(self, record):
        return format_html('<span title="{}">{}</span>', record.action, record.sentence)


def _age_days(record, now) -> int:
    return (now - record.created_at).days


class StaffApplicationTable(tables.Table):
    legal_name = tables.LinkColumn(
        "resellers:staff-application-detail", args=[tables.A("pk")], verbose_name=_("Company")
    )
    country = tables.Column(
        accessor="country__name", order_by=("country",), verbose_name=_("Country")
    )
    vat_id = tables.Column(verbose_name=_("VAT ID"), attrs={"td": {"class": "text-nowrap"}})
    created_at = DateTimeText(
        format="Y-m-d", verbose_name=_("Applied on"), attrs={"td": {"class": "text-nowrap"}}
    )
    age = tables.Column(
        verbose_name=_("Age (days)"),
        empty_values=(),
        order_by=("-created_at",),
        accessor="pk",
        attrs={"td": {"class": "text-nowrap"}},
    )
    vies = tables.Column(verbose_name=_("VIES"), empty_values=(), orderable=False)
    treatment = tables.Column(verbose_name=_("VAT treatment"), empty_values=(), orderable=False)
    documents = tables.Column(verbose_name=_("Documents"), empty_values=(), orderable=False)

    class Meta:
        model = Reseller
        fields = ("legal_name", "country", "vat_id", "status", "created_at")
        sequence = (
            "legal_name",
            "country",
            "vat_id",
            "vies",
            "treatment",
            "documents",
            "status",
            "created_at",
            "age",
        )
        order_by = ("created_at",)
        row_attrs = {"data-testid": lambda record: f"application-{record.pk}"}
        empty_text = _("No applications match.")

    def __init__(self, *args, now=None, **kwargs):
        self.now = now or timezone.now()
        super().__init__(*args, **kwargs)

    def render_age(self, record):
        days = _age_days(record, self.now)
        if record.status != Reseller.Status.APPLIED:
            return str(days)
        if days > OVERDUE_AFTER_DAYS:
            return format_html(
                '<span class="badge text-bg-danger" data-testid="age">{} · {}</span>',
                days,
                _("overdue"),
            )
        if days > REMINDER_AFTER_DAYS:
            return format_html(
                '<span class="badge text-bg-warning" data-testid="age">{}</span>', days
            )
        return format_html('<span data-testid="age">{}</span>', days)

    def render_vies(self, record):
        return vies_badge(record)

    def render_treatment(self, record):
        return record.vat_treatment.label

    def render_documents(self, record):
        return _("none")


def vies_badge(reseller):
    """The VIES result of a reseller's current VAT ID as a coloured badge."""
    status = reseller.vies_status
    return format_html(
        '<span class="badge text-bg-{}" data-testid="vies-status" title="{}">{}</span>',
        status.css,
        status.note,
        status.label,
    )


class TermsTable(tables.Table):
    published_at = DateTimeText(format="Y-m-d H:i")
    published_by = tables.Column(order_by=("published_by__email",))
    acceptance_count = tables.Column(verbose_name=_("Accepted by"))

    class Meta:
        model = TermsDocument
        fields = ("version", "title", "published_at", "published_by", "acceptance_count")
        order_by = ("-version",)


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
