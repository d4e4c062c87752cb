import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation, Membership
from core.ui import DateTimeText


class MembershipTable(tables.Table):
    email = tables.Column(accessor="user__email", verbose_name=_("E-mail"))
    name = tables.Column(
        accessor="user__first_name", verbose_name=_("Name"), order_by=("user__last_name",)
    )
    last_login = DateTimeText(
        accessor="user__last_login", verbose_name=_("Last login"), format="Y-m-d H:i"
    )
    created_at = DateTimeText(format="Y-m-d", verbose_name=_("Member since"))
    actions = tables.TemplateColumn(
        template_name="accounts/includes/member_actions.html",
        verbose_name=_("Actions"),
        orderable=False,
    )

    class Meta:
        model = Membership
        fields = ("email", "name", "role", "is_active", "last_login", "created_at", "actions")
        order_by = ("email",)
        row_attrs = {"data-testid": lambda record: f"member-{record.user.email}"}

    def render_name(self, record):
        return record.user.get_full_name() or "—"


class InvitationTable(tables.Table):
    invited_by = tables.Column(verbose_name=_("Invited by"))
    sent_at = DateTimeText(format="Y-m-d H:i", verbose_name=_("Sent on"))
    expires_at = DateTimeText(format="Y-m-d H:i", verbose_name=_("Expires"))
    actions = tables.TemplateColumn(
        template_name="accounts/includes/invitation_actions.html",
        verbose_name=_("Actions"),
        orderable=False,
    )

    class Meta:
        model = Invitation
        fields = ("email", "role", "invited_by", "sent_at", "expires_at", "actions")
        empty_text = _("No open invitations.")
        row_attrs = {"data-testid": lambda record: f"invitation-{record.email}"}
