"""Serve the loopback fakes of Stripe and PayPal for `make run` (never in production).

They answer at http://127.0.0.1:PAYMENT_FAKES_PORT/stripe/, /paypal/ and /paypal-ipn/ (PayPal
Payments Standard: the checkout page customers pay their reseller on, and the IPN postback),
sign their webhooks with the secrets config/settings/local.py gives the portal, and deliver
them to the portal's webhook addresses under PORTAL_ORIGIN; the IPNs go to the notify_url each
checkout form names.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from core.net import portal_url
from payments.fakes.paypal import FakePayPal
from payments.fakes.paypal_ipn import FakePayPalIpn
from payments.fakes.server import serve
from payments.fakes.stripe import FakeStripe
from payments.models import ResellerPaypal


class Command(BaseCommand):
    help = "Serve the loopback fakes of Stripe and PayPal (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=getattr(settings, "PAYMENT_FAKES_PORT", 8001)
        )

    def handle(self, *args, port: int, **options):
        if not settings.DEBUG:
            raise CommandError("The payment fakes run only with DEBUG (make run).")
        stripe = FakeStripe(
            secret_key=settings.STRIPE_SECRET_KEY,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            webhook_url=portal_url(reverse("payments:webhook-stripe")),
        )
        paypal = FakePayPal(
            client_id=settings.PAYPAL_CLIENT_ID,
            client_secret=settings.PAYPAL_CLIENT_SECRET,
            webhook_id=settings.PAYPAL_WEBHOOK_ID,
            webhook_url=portal_url(reverse("payments:webhook-paypal")),
            base_url=f"http://127.0.0.1:{port}/paypal",
        )
        # The receivers' merchant ids: the ones the resellers saved with their PayPal e-mail.
        ipn = FakePayPalIpn(
            merchant_ids=dict(ResellerPaypal.objects.values_list("receiver_email", "merchant_id"))
        )
        running = serve({"stripe": stripe, "paypal": paypal, "paypal-ipn": ipn}, port=port)
        self.stdout.write(
            f"Payment fakes: {running.base_url}/stripe/, {running.base_url}/paypal/ and "
            f"{running.base_url}/paypal-ipn/"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            running.stop()
