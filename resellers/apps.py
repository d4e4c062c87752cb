from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResellersConfig(AppConfig):
    name = "resellers"
    verbose_name = _("Resellers")

    def ready(self):
        from audit.sentences import labels_register
        from resellers.models import AdvertisingRequest

        labels_register(AdvertisingRequest.Kind, ("advertising.requested", "kind"))
        labels_register(
            AdvertisingRequest.Status,
            ("advertising.status_changed", "from"),
            ("advertising.status_changed", "to"),
        )
