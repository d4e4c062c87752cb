"""Every URL of ours that names an object, with how to build it for a tenant.

A route that takes a parameter and is missing here fails tests/tenancy/test_isolation.py.
Later issues add their URLs here (and their pages to the role matrix).
"""

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
}
