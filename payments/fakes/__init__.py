"""Loopback fakes of the payment providers, speaking their real wire format.

Each fake is a plain WSGI application (no Django) holding its state in memory: Stripe's API
and hosted Checkout (`stripe.FakeStripe`), PayPal's REST API and approval page
(`paypal.FakePayPal`). `server.serve` runs them on a loopback port in a thread (tests, the
benchmark) and `manage.py payment_fakes` runs them for `make run`. They sign their webhooks
with the same secrets and schemes the real providers use, so the real SDK code and our
verification run against them unchanged.
"""
