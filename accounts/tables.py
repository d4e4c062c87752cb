import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from config.ui import DateTimeText


class MembershipTable(tables.Table):
    email = tables.Column(accessor="user__email", verbose_name=_("E-mail"))
    name = tables.Column(
        accessor="user__first_name", verbose_name=_("Name"), order_by=("user__last_name",)
    )
    last_login = DateTimeText(
        accessor="user__last_login", verbose_name=_("Last login"), format="Y-m-d H:i"
    )
    created_at = DateTimeText(format="Y-m-d", verbose_name=_("Member since"))

    class Meta:
        model = Membership
        fields = ("email", "name", "role", "is_active", "last_login", "created_at")
        order_by = ("email",)

    def render_name(self, record):
        return record.user.get_full_name() or "—"
