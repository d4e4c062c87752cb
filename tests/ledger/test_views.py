"""Staff ledger pages: browse, filter, statement, reverse with a reason."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from ledger.models import LedgerTransaction
from tests.factories import ResellerFactory
from tests.world import fund

pytestmark = pytest.mark.django_db


def test_transactions_filter_by_reseller_kind_account_and_date(world):
    client = world.client_for("staff")
    url = reverse("ledger:staff-transaction-list")
    page = client.get(url, {"reseller": "tenant a"}).content.decode()
    assert f"#{world.a.topup.pk}" in page and f"#{world.b.topup.pk}" not in page
    page = client.get(url, {"account": world.b.sales_credit.pk}).content.decode()
    assert f"#{world.b.topup.pk}" in page and f"#{world.a.topup.pk}" not in page
    assert "€119.00" in page  # the volume of the top-up, not of one account's entry
    page = client.get(url, {"kind": "payout"}).content.decode()
    assert f"#{world.a.topup.pk}" not in page
    page = client.get(url, {"date_from": "2999-01-01"}).content.decode()
    assert f"#{world.a.topup.pk}" not in page
    page = client.get(url, {"account": "-3", "kind": "nonsense"}).content.decode()
    assert "Select a valid choice" in page and f"#{world.a.topup.pk}" not in page


def test_reverse_from_the_detail_page_needs_a_reason_and_is_audited(world):
    client = world.client_for("staff")
    txn = world.a.topup
    url = reverse("ledger:staff-transaction-reverse", kwargs={"pk": txn.pk})
    answer = client.post(url, {"reason": ""}, follow=True)
    assert "Give a reason" in answer.content.decode()
    assert not LedgerTransaction.objects.filter(reverses=txn).exists()

    answer = client.post(url, {"reason": "duplicate bank transfer"}, follow=True)
    page = answer.content.decode()
    assert f"Transaction #{txn.pk} is reversed by" in page
    reversal = LedgerTransaction.objects.get(reverses=txn)
    assert reversal.memo == "duplicate bank transfer"
    assert AuditEvent.objects.filter(action="ledger.reversed", actor=world.staff).exists()
    world.a.sales_credit.refresh_from_db()
    assert world.a.sales_credit.balance == 0

    answer = client.post(url, {"reason": "again"}, follow=True)
    assert "already reversed" in answer.content.decode()
    assert LedgerTransaction.objects.filter(reverses=txn).count() == 1


def test_a_reversal_that_would_overdraw_says_why(world):
    from customers.models import Customer  # noqa: F401 - the world has customers
    from ledger.models import LedgerAccount
    from ledger.services import customer_account, ledger_post, reseller_account

    reseller = world.a.reseller
    ledger_post(
        kind=LedgerTransaction.Kind.RECHARGE,
        currency="EUR",
        legs=[
            (reseller_account(reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT), "-50"),
            (customer_account(customer=world.a.customer), "50"),
        ],
        idempotency_key="spend",
    )
    client = world.client_for("staff")
    url = reverse("ledger:staff-transaction-reverse", kwargs={"pk": world.a.topup.pk})
    page = client.post(url, {"reason": "chargeback"}, follow=True).content.decode()
    assert "Sales credit is too low: €50.00 available" in page


def test_account_statement_pages_by_keyset(world):
    reseller = ResellerFactory()
    for _ in range(55):
        fund(reseller, net="1.00", vat="0.19")
    from ledger.services import reseller_account

    account = reseller_account(reseller=reseller, kind="sales_credit")
    client = world.client_for("staff")
    url = reverse("ledger:staff-account-statement", kwargs={"pk": account.pk})
    first = client.get(url)
    assert first.context["entries"][-1].balance_after == 50
    after = first.context["next_after"]
    second = client.get(url, {"after": after})
    assert [e.balance_after for e in second.context["entries"]] == [51, 52, 53, 54, 55]
    assert second.context["next_after"] is None
    assert (
        client.get(reverse("ledger:staff-account-statement", kwargs={"pk": 999999})).status_code
        == 404
    )


@pytest.mark.parametrize("name", ["ledger:staff-transaction-list"])
def test_ledger_pages_keep_a_bounded_number_of_queries(world, django_assert_max_num_queries, name):
    for _ in range(40):
        fund(world.a.reseller, net="1.00", vat="0.19")
    client = world.client_for("staff")
    client.get(reverse(name))
    with django_assert_max_num_queries(12):
        assert client.get(reverse(name)).status_code == 200
    detail = reverse("ledger:staff-transaction-detail", kwargs={"pk": world.a.topup.pk})
    client.get(detail)
    with django_assert_max_num_queries(12):
        assert client.get(detail).status_code == 200
