"""Every URL of ours that names an object, with how to build it for a tenant.

A route that takes a parameter and is missing here fails tests/tenancy/test_isolation.py.
Later issues add their URLs here (and their pages to the role matrix).
"""

from accounts.models import Membership
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
        lambda w, t: {"pk": t.reseller.pk}, method="post", audience="staff"
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
}


def _membership(tenant, user) -> int:
    return Membership.objects.get(reseller=tenant.reseller, user=user).pk
