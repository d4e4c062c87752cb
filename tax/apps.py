from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxConfig(AppConfig):
    """VAT: the treatment of a sale, company identifiers, the VIES check. Below resellers
    (approval) and billing (invoices), which both use it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "tax"
    verbose_name = _("Tax")
