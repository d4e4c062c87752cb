"""commission_transfer: commission credit to sales credit, once per key, audited."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from audit.models import AuditEvent
from ledger.actions import InvalidTransferAmount, commission_transfer
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import reseller_cash_accounts
from ledger.services import IdempotencyConflict, InsufficientFunds
from tests.ledger.cashbook_data import recharge

pytestmark = pytest.mark.django_db


def _balances(reseller):
    accounts = reseller_cash_accounts(reseller=reseller)
    return accounts.sales_balance, accounts.commission_balance


@pytest.fixture
def earned(world):
    """Tenant A sold 50 at 10 %: sales credit 50, commission credit 5."""
    recharge(customer=world.a.customer, amount="50")
    return world.a


def test_moves_commission_to_sales_credit_and_audits(earned):
    txn = commission_transfer(
        reseller=earned.reseller, actor=earned.admin, amount="3.25", idempotency_key="k"
    )
    assert txn.kind == LedgerTransaction.Kind.COMMISSION_TRANSFER
    assert _balances(earned.reseller) == (Decimal("53.25"), Decimal("1.75"))
    legs = {e.account.kind: e.amount for e in txn.entries.select_related("account")}
    assert legs == {
        LedgerAccount.Kind.COMMISSION: Decimal("-3.25"),
        LedgerAccount.Kind.SALES_CREDIT: Decimal("3.25"),
    }
    assert txn.actor == earned.admin and txn.reseller == earned.reseller
    event = AuditEvent.objects.get(action="ledger.commission_transferred")
    assert (event.actor, event.reseller, event.object_id) == (
        earned.admin,
        earned.reseller,
        str(txn.pk),
    )
    assert event.data == {"amount": "3.25", "currency": "EUR"}


def test_all_of_it_can_be_moved(earned):
    commission_transfer(reseller=earned.reseller, actor=earned.admin, amount=5, idempotency_key="k")
    assert _balances(earned.reseller) == (Decimal("55"), Decimal("0"))


def test_a_replayed_key_moves_once_and_audits_once(earned):
    first = commission_transfer(
        reseller=earned.reseller, actor=earned.admin, amount="2", idempotency_key="same"
    )
    for _ in range(4):
        again = commission_transfer(
            reseller=earned.reseller, actor=earned.admin, amount="2", idempotency_key="same"
        )
        assert again.pk == first.pk
    assert _balances(earned.reseller) == (Decimal("52"), Decimal("3"))
    assert AuditEvent.objects.filter(action="ledger.commission_transferred").count() == 1


def test_the_same_key_with_another_amount_is_refused(earned):
    commission_transfer(
        reseller=earned.reseller, actor=earned.admin, amount="2", idempotency_key="same"
    )
    with pytest.raises(IdempotencyConflict):
        commission_transfer(
            reseller=earned.reseller, actor=earned.admin, amount="3", idempotency_key="same"
        )
    assert _balances(earned.reseller) == (Decimal("52"), Decimal("3"))


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", InvalidTransferAmount),
        ("-1", InvalidTransferAmount),
        ("1.234", InvalidTransferAmount),
        ("abc", InvalidTransferAmount),
        ("NaN", InvalidTransferAmount),
        ("1e400", InvalidTransferAmount),
        ("Infinity", InvalidTransferAmount),
        (1.5, InvalidTransferAmount),  # a float is not money
        ("5.01", InsufficientFunds),
    ],
)
def test_bad_amounts_change_nothing(earned, amount, error):
    before = LedgerTransaction.objects.count()
    with pytest.raises(error):
        commission_transfer(
            reseller=earned.reseller, actor=earned.admin, amount=amount, idempotency_key="k"
        )
    assert _balances(earned.reseller) == (Decimal("50"), Decimal("5"))
    assert LedgerTransaction.objects.count() == before
    assert not AuditEvent.objects.filter(action="ledger.commission_transferred").exists()


def test_without_any_commission_it_says_so(world):
    with pytest.raises(InsufficientFunds) as caught:
        commission_transfer(
            reseller=world.a.reseller, actor=world.a.admin, amount="1", idempotency_key="k"
        )
    assert caught.value.available == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_never_overdraw_commission():
    """Five Admins at once each move 2 of a commission credit of 5: two succeed."""
    from tests.world import build_tenant

    tenant = build_tenant("C")
    recharge(customer=tenant.customer, amount="50")
    results, barrier = [], threading.Barrier(5)

    def attempt(n):
        try:
            barrier.wait()
            commission_transfer(
                reseller=tenant.reseller, actor=tenant.admin, amount="2", idempotency_key=f"t{n}"
            )
            results.append("ok")
        except InsufficientFunds:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "ok", "refused", "refused", "refused"]
    assert _balances(tenant.reseller) == (Decimal("54"), Decimal("1"))
    assert AuditEvent.objects.filter(action="ledger.commission_transferred").count() == 2
