import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.ui import DateTimeText
from sms.models import Message

STATUS_BADGES = {
    Message.Status.QUEUED: "text-bg-secondary",
    Message.Status.SENDING: "text-bg-info",
    Message.Status.SENT: "text-bg-success",
    Message.Status.FAILED: "text-bg-danger",
}


def status_badge(message: Message) -> str:
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGES[message.status],
        message.get_status_display(),
    )


class InboxTable(tables.Table):
    id = tables.LinkColumn("sms:message-detail", args=[tables.A("pk")], text=lambda r: f"#{r.pk}")
    created_at = DateTimeText(format="Y-m-d H:i:s", attrs={"td": {"class": "text-nowrap"}})
    reseller = tables.Column(order_by=("reseller__name",))
    body = tables.Column(verbose_name=_("Text"), orderable=False)
    status = tables.Column()

    class Meta:
        model = Message
        fields = ("id", "created_at", "reseller", "recipient", "language", "status", "body")
        order_by = ("-id",)

    def render_status(self, record):
        return status_badge(record)

    def render_body(self, record, value):
        """The text in its own language (marked, for screen readers and the language checks)."""
        text = value if len(value) <= 90 else value[:89] + "…"
        return format_html('<span lang="{}">{}</span>', record.language, text)
