"""Every URL of ours that names an object, with how to build it for a tenant.

A route that takes a parameter and is missing here fails tests/tenancy/test_isolation.py.
Later issues add their URLs here (and their pages to the role matrix).
"""

from urllib.request import Request, urlopen
from uuid import uuid4

from django.conf import settings

from accounts.models import Membership
from core.net import portal_url
from payments.models import Method, PaymentEvent, TopUp
from payments.services.topups import topup_create, topup_refresh, topup_start
from tests.factories import InvitationFactory
from tests.sms.factories import FailedMessageFactory
from tests.tenancy.harness import ObjectUrl

OBJECT_URLS: dict[str, ObjectUrl] = {
    "customers:customer-detail": ObjectUrl(lambda w, t: {"pk": t.customer.pk}),
    "resellers:subreseller-detail": ObjectUrl(lambda w, t: {"pk": t.child.pk}),
    "resellers:staff-reseller-detail": ObjectUrl(
        lambda w, t: {"pk": t.reseller.pk}, audience="staff"
    ),
    "resellers:staff-reseller-suspend": ObjectUrl(
        lambda w, t: {"pk": t.reseller.pk},
        method="post",
        data={"reason": "isolation test"},
        audience="staff",
    ),
    "resellers:staff-reseller-reactivate": ObjectUrl(
        lambda w, t: {"pk": t.reseller.pk}, method="post", audience="staff"
    ),
    "ledger:staff-transaction-detail": ObjectUrl(lambda w, t: {"pk": t.topup.pk}, audience="staff"),
    "ledger:staff-transaction-reverse": ObjectUrl(
        lambda w, t: {"pk": t.topup.pk},
        method="post",
        data={"reason": "isolation test"},
        audience="staff",
    ),
    "ledger:staff-account-statement": ObjectUrl(
        lambda w, t: {"pk": t.sales_credit.pk}, audience="staff"
    ),
    "customers:customer-credentials-reset": ObjectUrl(
        lambda w, t: {"pk": t.customer.pk}, method="post"
    ),
    "customers:customer-suspend": ObjectUrl(lambda w, t: {"pk": t.customer.pk}, method="post"),
    "customers:customer-reactivate": ObjectUrl(lambda w, t: {"pk": t.customer.pk}, method="post"),
    "sms:message-detail": ObjectUrl(
        lambda w, t: {"pk": FailedMessageFactory(customer=t.customer).pk}, audience="staff"
    ),
    "sms:message-resend": ObjectUrl(
        lambda w, t: {"pk": FailedMessageFactory(customer=t.customer).pk}, method="post"
    ),
    "resellers:staff-application-detail": ObjectUrl(
        lambda w, t: {"pk": t.reseller.pk}, audience="staff"
    ),
    "resellers:staff-application-approve": ObjectUrl(
        lambda w, t: {"pk": t.reseller.pk},
        method="post",
        data={"plan-rate": "5", "confirm": "yes"},
        audience="staff",
    ),
    "resellers:staff-application-reject": ObjectUrl(
        lambda w, t: {"pk": t.reseller.pk},
        method="post",
        data={"reason": "isolation test"},
        audience="staff",
    ),
    "resellers:staff-application-vies-recheck": ObjectUrl(
        lambda w, t: {"pk": t.reseller.pk}, method="post", audience="staff"
    ),
    # Sub-users (issue 4, point 5): team actions name a membership or invitation of the tenant.
    "accounts:member-role": ObjectUrl(
        lambda w, t: {"pk": _membership(t, t.user)}, method="post", data={"role": "accountant"}
    ),
    "accounts:member-deactivate": ObjectUrl(
        lambda w, t: {"pk": _membership(t, t.user)}, method="post"
    ),
    "accounts:member-reactivate": ObjectUrl(
        lambda w, t: {"pk": _membership(t, t.accountant)}, method="post"
    ),
    "accounts:invitation-revoke": ObjectUrl(
        lambda w, t: {"pk": InvitationFactory(reseller=t.reseller).pk}, method="post"
    ),
    "accounts:invitation-resend": ObjectUrl(
        lambda w, t: {"pk": InvitationFactory(reseller=t.reseller).pk}, method="post"
    ),
    # The link's token is the key; a signed-in person must be the one invited (here the
    # tenant's Admin), anybody else signed in gets 403.
    "accounts:invitation-accept": ObjectUrl(
        lambda w, t: {"token": InvitationFactory(reseller=t.reseller, email=t.admin.email).token}
    ),
    # Sub-resellers and credit transfers (issue 4, point 6).
    "resellers:subreseller-credit": ObjectUrl(
        lambda w, t: {"pk": t.child.pk},
        method="post",
        data={
            "amount": "5.00",
            "note": "isolation test",
            "idempotency_key": "8d5c2a36-56a4-4b8e-9d0f-7f3a3f0b9a11",
        },
    ),
    # Commission plans (issue 15, point 3): staff for any reseller, a parent's Admin for its
    # sub-resellers.
    "resellers:subreseller-commission": ObjectUrl(
        lambda w, t: {"pk": t.child.pk},
        method="post",
        data={"plan-rate": "0", "plan-effective_from": "2999-01-01", "plan-note": "isolation"},
    ),
    "resellers:staff-reseller-commission": ObjectUrl(
        lambda w, t: {"pk": t.reseller.pk},
        method="post",
        data={"plan-rate": "5", "plan-effective_from": "2999-01-01", "plan-note": "isolation"},
        audience="staff",
    ),
    "resellers:staff-reseller-policy": ObjectUrl(
        lambda w, t: {"pk": t.reseller.pk},
        method="post",
        data={"policy-may_create_subresellers": "on", "policy-subreseller_depth_limit": "2"},
        audience="staff",
    ),
    "resellers:staff-reseller-credit": ObjectUrl(
        lambda w, t: {"pk": t.reseller.pk},
        method="post",
        data={
            "credit-direction": "credit",
            "credit-amount": "10.00",
            "credit-reason": "isolation test",
            "credit-idempotency_key": "0f6f4c1e-2b7a-4f59-8a53-1c9e2d7b6a20",
        },
        audience="staff",
    ),
    "resellers:advertising-detail": ObjectUrl(lambda w, t: {"pk": t.advertising_request.pk}),
    "resellers:staff-advertising-detail": ObjectUrl(
        lambda w, t: {"pk": t.advertising_request.pk}, audience="staff"
    ),
    "resellers:staff-advertising-status": ObjectUrl(
        lambda w, t: {"pk": t.advertising_request.pk},
        method="post",
        data={"status": "in_production"},
        audience="staff",
    ),
    # Payments (issue 13). The payer's pages take the tenant's top-ups: the card top-up is
    # paid (return and cancel only show it), pay takes the open bank transfer (no provider).
    "payments:topup-detail": ObjectUrl(lambda w, t: {"pk": t.card_topup.pk}),
    "payments:topup-proforma": ObjectUrl(lambda w, t: {"pk": t.bank_topup.pk}),
    "payments:topup-return": ObjectUrl(lambda w, t: {"pk": t.card_topup.pk}),
    "payments:topup-cancel": ObjectUrl(lambda w, t: {"pk": t.card_topup.pk}),
    "payments:topup-pay": ObjectUrl(lambda w, t: {"pk": t.bank_topup.pk}, method="post"),
    "payments:staff-topup-detail": ObjectUrl(
        lambda w, t: {"pk": t.card_topup.pk}, audience="staff"
    ),
    # A refund goes to the provider: a card top-up really paid at the fake Stripe (the test
    # points the settings at it with the fixture `stripe_at_the_fake`).
    "payments:staff-topup-refund": ObjectUrl(
        lambda w, t: {"pk": card_paid_at_the_fake(t).pk},
        method="post",
        data=lambda w, t: {"amount": "5.00", "reason": "walk", "key": str(uuid4())},
        audience="staff",
    ),
    # Only a flagged refund is retried: the world's is not, the page says so.
    "payments:staff-refund-retry": ObjectUrl(
        lambda w, t: {"pk": t.refund.pk}, method="post", audience="staff"
    ),
    "payments:staff-statement-detail": ObjectUrl(
        lambda w, t: {"pk": w.statement.pk}, audience="staff"
    ),
    "payments:staff-statement-line": ObjectUrl(
        lambda w, t: {"pk": w.statement_line.pk}, audience="staff"
    ),
    "payments:staff-statement-line-assign": ObjectUrl(
        lambda w, t: {"pk": w.statement_line.pk},
        method="post",
        data=lambda w, t: {"reference": t.bank_topup.reference, "note": "walk"},
        audience="staff",
    ),
    "payments:staff-statement-line-dismiss": ObjectUrl(
        lambda w, t: {"pk": w.statement_line.pk},
        method="post",
        data={"note": "Not a top-up"},
        audience="staff",
    ),
    # Commission payouts (issue 15): the tenant's requested payout; the operator's SEPA file
    # (of tenant A's payouts: staff pages).
    "payments:payout-detail": ObjectUrl(lambda w, t: {"pk": t.payout.pk}),
    "payments:staff-payout-detail": ObjectUrl(lambda w, t: {"pk": t.payout.pk}, audience="staff"),
    "payments:staff-payout-approve": ObjectUrl(
        lambda w, t: {"pk": t.payout.pk}, method="post", audience="staff"
    ),
    "payments:staff-payout-reject": ObjectUrl(
        lambda w, t: {"pk": t.payout.pk},
        method="post",
        data={"reason": "walk"},
        audience="staff",
    ),
    "payments:staff-payout-batch-detail": ObjectUrl(
        lambda w, t: {"pk": w.payout_batch.pk}, audience="staff"
    ),
    "payments:staff-payout-batch-download": ObjectUrl(
        lambda w, t: {"pk": w.payout_batch.pk}, audience="staff"
    ),
    "payments:staff-payout-batch-confirm": ObjectUrl(
        lambda w, t: {"pk": w.payout_batch.pk}, method="post", audience="staff"
    ),
    # Invoices (issue "Invoices"): the tenant's rendered invoice and its ready month export.
    "billing:invoice-detail": ObjectUrl(lambda w, t: {"pk": t.invoice.pk}),
    "billing:invoice-pdf": ObjectUrl(lambda w, t: {"pk": t.invoice.pk}),
    "billing:invoice-xml": ObjectUrl(lambda w, t: {"pk": t.invoice.pk}),
    "billing:export-detail": ObjectUrl(lambda w, t: {"pk": t.invoice_export.pk}),
    "billing:export-download": ObjectUrl(lambda w, t: {"pk": t.invoice_export.pk}),
    "billing:staff-invoice-detail": ObjectUrl(lambda w, t: {"pk": t.invoice.pk}, audience="staff"),
    "billing:staff-invoice-pdf": ObjectUrl(lambda w, t: {"pk": t.invoice.pk}, audience="staff"),
    # Only a failed document is drawn again: the world's are not, the page says so.
    "billing:staff-invoice-render": ObjectUrl(
        lambda w, t: {"pk": t.invoice.pk}, method="post", audience="staff"
    ),
    "billing:staff-invoice-xml": ObjectUrl(lambda w, t: {"pk": t.invoice.pk}, audience="staff"),
    "billing:staff-export-detail": ObjectUrl(
        lambda w, t: {"pk": t.invoice_export.pk}, audience="staff"
    ),
    "billing:staff-export-download": ObjectUrl(
        lambda w, t: {"pk": t.invoice_export.pk}, audience="staff"
    ),
    # The customer portal's top-up (issue 15): the customer's own PayPal payment, opened.
    "payments:customer-topup-status": ObjectUrl(
        lambda w, t: {"reference": t.customer_topup.reference}, audience="customer"
    ),
    "payments:customer-topup-paypal": ObjectUrl(
        lambda w, t: {"reference": t.customer_topup.reference}, audience="customer"
    ),
    # Customers' own PayPal (issue 15): the tenant's customer payment and IPN; the IPN address
    # is PayPal's, named by the reseller's token (a machine endpoint, see ObjectUrl).
    "payments:customer-payment-detail": ObjectUrl(lambda w, t: {"pk": t.customer_payment.pk}),
    "payments:paypal-ipn-detail": ObjectUrl(lambda w, t: {"pk": t.paypal_ipn.pk}),
    "payments:staff-customer-payment-detail": ObjectUrl(
        lambda w, t: {"pk": t.customer_payment.pk}, audience="staff"
    ),
    "payments:staff-paypal-ipn-detail": ObjectUrl(
        lambda w, t: {"pk": t.paypal_ipn.pk}, audience="staff"
    ),
    "payments:paypal-ipn": ObjectUrl(
        lambda w, t: {"token": t.reseller.paypal_account.notify_token},
        method="post",
        audience="machine",
    ),
}


def _membership(tenant, user) -> int:
    return Membership.objects.get(reseller=tenant.reseller, user=user).pk


def card_paid_at_the_fake(tenant) -> TopUp:
    """A card top-up of `tenant` opened, paid on the fake Stripe's checkout (its test hook,
    over HTTP) and settled by the payer's return: a charge the provider can refund."""
    topup = topup_create(
        reseller=tenant.reseller,
        actor=tenant.admin,
        net="50.00",
        method=Method.STRIPE,
        form_key=str(uuid4()),
    )
    topup = topup_start(topup=topup, success_url=portal_url("/"), cancel_url=portal_url("/"))
    hook = f"{settings.STRIPE_API_BASE}/_test/sessions/{topup.provider_payment_id}/pay"
    with urlopen(Request(hook, data=b"", method="POST"), timeout=5) as answer:  # noqa: S310
        assert answer.status == 200
    return topup_refresh(topup=topup, source=PaymentEvent.Source.RETURN).topup
