"""The embedded default: one command, no services. SQLite, eager tasks, console e-mail."""

from .base import *
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="local-development-only-not-a-secret")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# SMS land in the database inbox (/sms/inbox/, operator staff only); with DEBUG the text as
# sent (passwords included) is also logged to the console (sms.backends.DatabaseBackend).
SMS_BACKEND = env("SMS_BACKEND", default="database")
# Payments: without provider keys, the loopback fakes `make run` starts (manage.py
# payment_fakes on PAYMENT_FAKES_PORT) stand in for Stripe and PayPal, with test secrets.
PAYMENT_FAKES_PORT = env.int("PAYMENT_FAKES_PORT", default=8001)
_FAKES = f"http://127.0.0.1:{PAYMENT_FAKES_PORT}"
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_tessera_fake")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="whsec_tessera_fake")
STRIPE_API_BASE = env("STRIPE_API_BASE", default=f"{_FAKES}/stripe")
PAYPAL_CLIENT_ID = env("PAYPAL_CLIENT_ID", default="tessera-fake-client")
PAYPAL_CLIENT_SECRET = env("PAYPAL_CLIENT_SECRET", default="tessera-fake-secret")
PAYPAL_WEBHOOK_ID = env("PAYPAL_WEBHOOK_ID", default="WH-TESSERA-FAKE")
PAYPAL_API_BASE = env("PAYPAL_API_BASE", default=f"{_FAKES}/paypal")
# Customers' PayPal (Payments Standard): the fake's checkout page and IPN postback.
PAYPAL_STANDARD_URL = env("PAYPAL_STANDARD_URL", default=f"{_FAKES}/paypal-ipn/cgi-bin/webscr")
PAYPAL_IPN_VERIFY_URL = env("PAYPAL_IPN_VERIFY_URL", default=f"{_FAKES}/paypal-ipn/cgi-bin/webscr")
