"""The portal's side of the payment tests: settings pointed at the fakes, top-ups opened the
way the Add funds page opens them, and provider webhooks handed to the real webhook view."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import operator_balance, reseller_balance
from ledger.services import OperatorAccount, ledger_post, reseller_account
from payments.models import TopUp
from payments.services.topups import topup_create, topup_start


def open_topup(reseller, *, method: str, net: str = "100.00", actor=None) -> TopUp:
    topup = topup_create(
        reseller=reseller, actor=actor, net=net, method=method, form_key=str(uuid.uuid4())
    )
    return topup_start(
        topup=topup,
        success_url=f"http://testserver/r/payments/{topup.pk}/return/?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"http://testserver/r/payments/{topup.pk}/cancel/",
    )


def post_webhook(provider: str, body: bytes, headers: dict[str, str], client: Client | None = None):
    """POST a provider's notification to our webhook view exactly as received."""
    client = client or Client()
    extra = {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in headers.items()
        if name.lower() not in ("content-type", "content-length")
    }
    return client.post(
        reverse(f"payments:webhook-{provider}"),
        data=body,
        content_type=headers.get("Content-Type", "application/json"),
        **extra,
    )


def forward(provider: str, sink, *, times: int = 1) -> list[int]:
    """Hand everything the fake sent to the sink to our webhook view, `times` over."""
    statuses = []
    received = list(sink.received)
    sink.received.clear()
    for _ in range(times):
        for body, headers in received:
            statuses.append(post_webhook(provider, body, headers).status_code)
    return statuses


def sales_credit(reseller) -> Decimal:
    return reseller_balance(reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT)


def topup_postings(topup: TopUp) -> int:
    return LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.TOPUP, metadata__topup=topup.pk
    ).count()


def clearing(kind: str, currency: str = "EUR") -> Decimal:
    return operator_balance(kind=kind, currency=currency)


def forward_paypal(fake, *, times: int = 1) -> list[int]:
    """Hand every webhook the fake PayPal sent since the last call to our view."""
    sent = list(fake.deliveries)
    fake.deliveries.clear()
    statuses = []
    for _ in range(times):
        for record in sent:
            statuses.append(post_webhook("paypal", record["body"], record["headers"]).status_code)
    return statuses


def card_paid(stripe_portal, reseller, net: str = "100.00") -> TopUp:
    """A card top-up paid on the fake Stripe, its webhook handed to our view."""
    topup = open_topup(reseller, method="stripe", net=net)
    stripe_portal.fake.pay(topup.provider_payment_id)
    forward("stripe", stripe_portal.sink)
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID
    return topup


def spend(reseller, amount: str) -> None:
    """The reseller sells `amount` of its credit (to the operator's revenue)."""
    ledger_post(
        kind=LedgerTransaction.Kind.SALE,
        currency="EUR",
        legs=[
            (
                reseller_account(reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT),
                "-" + amount,
            ),
            (OperatorAccount(LedgerAccount.Kind.REVENUE), amount),
        ],
        idempotency_key=f"spend-{uuid.uuid4()}",
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
    )
