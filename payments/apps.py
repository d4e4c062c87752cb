from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from audit.sentences import labels_register
        from payments.models import Method, TopUpRefund

        labels_register(Method, ("topup.created", "method"), ("topup.paid", "method"))
        labels_register(
            TopUpRefund.Status, ("topup.chargeback", "status"), ("topup.refunded", "status")
        )
