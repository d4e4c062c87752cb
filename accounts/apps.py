from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from accounts.models import Role
        from audit.sentences import labels_register

        labels_register(
            Role,
            ("invitation.created", "role"),
            ("membership.added", "role"),
            ("membership.changed", "role"),
            ("membership.role_changed", "from"),
            ("membership.role_changed", "to"),
        )
