"""The payments app's models: top-ups and their events, refunds and bank statements
(topups); customers' own payments and resellers' PayPal accounts (customer_payments)."""

from payments.models.customer_payments import CustomerPayment, PaypalIpn, ResellerPaypal
from payments.models.payouts import Payout, PayoutBatch
from payments.models.topups import (
    MONEY,
    OWN_EVENT_TYPES,
    Method,
    PaymentEvent,
    StatementImport,
    StatementLine,
    TopUp,
    TopUpRefund,
)

__all__ = [
    "MONEY",
    "OWN_EVENT_TYPES",
    "CustomerPayment",
    "Method",
    "PaymentEvent",
    "Payout",
    "PayoutBatch",
    "PaypalIpn",
    "ResellerPaypal",
    "StatementImport",
    "StatementLine",
    "TopUp",
    "TopUpRefund",
]
