"""Bank transfer: a gateway with no provider to call. The payer transfers the gross to the
operator's account with the top-up's RF reference; a statement import settles it
(payments.services.statements). The protocol's calls that need a provider say so."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from payments.gateways.base import (
    GatewayError,
    GatewayResult,
    Notification,
    NotificationRejected,
    PaymentRequest,
    PaymentStatus,
)


class BankTransferGateway:
    name = "bank"

    def start(self, request: PaymentRequest) -> GatewayResult:
        return GatewayResult(
            status=PaymentStatus.PENDING,
            amount=request.amount,
            currency=request.currency,
            provider_payment_id=request.reference,
            reference=request.reference,
        )

    def confirm(self, *, provider_payment_id: str, idempotency_key: str) -> GatewayResult:
        return self.fetch(provider_payment_id=provider_payment_id)

    def fetch(self, *, provider_payment_id: str) -> GatewayResult:
        # Only a statement says a transfer arrived: from here it is always still pending.
        return GatewayResult(
            status=PaymentStatus.PENDING,
            amount=None,
            currency="",
            provider_payment_id=provider_payment_id,
        )

    def refund(
        self, *, provider_charge_id: str, amount: Decimal, currency: str, idempotency_key: str
    ):
        raise GatewayError("A bank transfer is refunded by a transfer back, outside the portal.")

    def verify_notification(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        raise NotificationRejected(NotificationRejected.MALFORMED, "banks send no notifications")
