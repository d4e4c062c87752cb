import datetime as dt
import io
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User
from audit.models import AuditEvent
from customers.models import Customer
from customers.selectors import recharge_amounts, recharge_commission
from ledger.models import LedgerTransaction
from resellers.models import Reseller, TermsDocument

pytestmark = pytest.mark.django_db


def _counts():
    return tuple(
        model.objects.count()
        for model in (
            User,
            Reseller,
            Membership,
            Customer,
            AuditEvent,
            Authenticator,
            LedgerTransaction,
        )
    )


def test_demo_data_creates_the_documented_world_and_is_idempotent():
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    first = _counts()
    call_command("demo_data", stdout=io.StringIO())
    assert _counts() == first

    operator = User.objects.get(email="operator@tessera.test")
    assert operator.is_staff and Authenticator.objects.filter(user=operator).exists()
    direct = Reseller.objects.filter(parent=None, status=Reseller.Status.APPROVED)
    assert set(direct.values_list("slug", flat=True)) == {"alpha", "baltic"}
    assert Reseller.objects.get(slug="alpha-kiosk").parent.slug == "alpha"
    for reseller in Reseller.objects.filter(status=Reseller.Status.APPROVED):
        roles = set(reseller.memberships.values_list("role", flat=True))
        assert roles == {Role.ADMIN, Role.USER, Role.ACCOUNTANT}
        assert reseller.customers.exists()
    assert User.objects.get(email="admin@alpha.test").memberships.count() == 2
    assert Customer.objects.get(user__email="customer@alpha.test").reseller.slug == "alpha"
    # The sales history's top-up per approved reseller, a paid bank-transfer top-up per direct
    # reseller (another waits for its transfer) and the applicant's payment before approval.
    assert LedgerTransaction.objects.filter(kind="topup").count() == 6
    from payments.models import TopUp

    paid = TopUp.objects.filter(status=TopUp.Status.PAID)
    applicant = Reseller.objects.get(status=Reseller.Status.APPLIED)
    slugs = set(paid.values_list("reseller__slug", flat=True))
    assert slugs == {"alpha", "baltic", applicant.slug}
    assert TopUp.objects.filter(status=TopUp.Status.PENDING, method="bank").count() == 2
    assert paid.get(reseller__status=Reseller.Status.APPLIED).credited_kind == "pending"
    alpha = Reseller.objects.get(slug="alpha")
    assert (alpha.may_create_subresellers, alpha.subreseller_depth_limit) == (True, 2)
    assert LedgerTransaction.objects.filter(kind="transfer").count() == 1
    pending = Invitation.objects.get(reseller=alpha)
    assert pending.email == "new.colleague@alpha.test" and pending.accepted_at is None
    # a recharge per customer, and a month of sales history for the dashboard and cashbook
    assert LedgerTransaction.objects.filter(kind="recharge").count() > 3 * Customer.objects.count()
    assert LedgerTransaction.objects.filter(kind="commission_transfer").count() == 3
    # Alpha's customers may top up with PayPal (issue 15), into Alpha's own account.
    from payments.models import ResellerPaypal

    paypal = ResellerPaypal.objects.get()
    assert paypal.reseller == alpha and paypal.enabled and len(paypal.notify_token) == 43
    text = out.getvalue()
    assert "tessera-demo-2026" in text and "admin@baltic.test" in text


def test_demo_data_has_published_terms_and_an_application_waiting_over_a_week():
    call_command("demo_data", stdout=io.StringIO())
    assert TermsDocument.objects.count() == 1
    applicant = Reseller.objects.get(status=Reseller.Status.APPLIED)
    assert applicant.legal_name == "Donau Mobil GmbH"
    assert (timezone.now() - applicant.created_at).days > 7
    assert applicant.terms_acceptances.count() == 1
    pending = applicant.ledger_accounts.get(kind="pending")
    assert pending.balance == Decimal("50.0000")


def test_the_demo_history_is_made_by_the_real_services_and_dated_in_the_past():
    """Every sale goes through customer_recharge (its audit row, its commission rule) and is
    dated by the services' `at`; nothing moves Django's clock."""
    real_now = timezone.now
    call_command("demo_data", stdout=io.StringIO())
    assert timezone.now is real_now
    sales = LedgerTransaction.objects.filter(kind="recharge").select_related("reseller")
    days = {timezone.localdate(txn.created_at) for txn in sales}
    assert len(days) > 20 and min(days) < timezone.localdate() - dt.timedelta(days=25)
    audited = set(
        AuditEvent.objects.filter(action="customer.recharged").values_list(
            "data__transaction_id", flat=True
        )
    )
    for txn in sales:
        assert txn.pk in audited, f"sale #{txn.pk} did not go through customer_recharge"
        amount = Decimal(txn.metadata["amount"])
        rule = recharge_commission(reseller=txn.reseller, amount=amount)
        assert Decimal(txn.metadata["commission"]) == rule
        assert amount in recharge_amounts(reseller=txn.reseller)
