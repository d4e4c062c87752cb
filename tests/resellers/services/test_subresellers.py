"""Sub-reseller policy and creation, credit transfers and staff adjustments (services)."""

from decimal import Decimal
from uuid import uuid4

import pytest

from accounts.models import Membership, Role
from audit.models import AuditEvent
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import operator_balance, reseller_balance, reseller_recent_entries
from ledger.services import InsufficientFunds
from resellers.models import Reseller
from resellers.selectors import subreseller_allowance
from resellers.services import subresellers
from resellers.services.subresellers import CreditAmountError, SubresellerError
from tests.factories import ResellerFactory, SubResellerFactory

pytestmark = pytest.mark.django_db
SALES = LedgerAccount.Kind.SALES_CREDIT


def _allow(reseller, depth=2, actor=None):
    return subresellers.reseller_subreseller_policy_set(
        reseller_id=reseller.pk, actor=actor, may_create=True, depth_limit=depth
    )


def _create(parent, actor, **overrides):
    values = {
        "name": "Kiosk Süd",
        "legal_name": "Kiosk Süd UG",
        "country": "DE",
        "contact_email": "kiosk@example.test",
        "commission_rate": Decimal("5.00"),
    }
    values.update(overrides)
    return subresellers.subreseller_create(parent=parent, actor=actor, **values)


def test_policy_change_is_audited_and_the_depth_is_bounded(world):
    _allow(world.a.reseller, depth=3, actor=world.staff)
    event = AuditEvent.objects.get(action="reseller.subreseller_policy_changed")
    assert event.data == {
        "before": {"may_create": False, "depth_limit": 1},
        "after": {"may_create": True, "depth_limit": 3},
    }
    for depth in (0, 6):
        with pytest.raises(SubresellerError) as err:
            _allow(world.a.reseller, depth=depth, actor=world.staff)
        assert err.value.code == "bad-depth"
    world.a.reseller.refresh_from_db()
    assert world.a.reseller.subreseller_depth_limit == 3


def test_creating_a_subreseller_needs_the_flag(world):
    with pytest.raises(SubresellerError) as err:
        _create(world.a.reseller, world.a.admin)
    assert err.value.code == "flag-off"
    assert not Reseller.objects.filter(name="Kiosk Süd").exists()


def test_a_new_subreseller_is_approved_in_the_parents_currency_with_the_creator_as_admin(world):
    parent = ResellerFactory(currency="PLN", country="PL", commission_rate=Decimal("12.50"))
    _allow(parent)
    child = _create(parent, world.a.admin, country="PL", commission_rate=Decimal("12.50"))
    assert (child.parent, child.status, str(child.currency)) == (parent, "approved", "PLN")
    assert child.approved_at is not None and child.slug == "kiosk-sud"
    assert Membership.objects.get(reseller=child).user == world.a.admin
    assert Membership.objects.get(reseller=child).role == Role.ADMIN
    assert AuditEvent.objects.filter(
        action="reseller.subreseller_created", reseller=parent, object_id=str(child.pk)
    ).exists()
    assert _create(parent, world.a.admin).slug == "kiosk-sud-2"


def test_commission_above_the_parents_is_refused(world):
    _allow(world.a.reseller)
    with pytest.raises(SubresellerError) as err:
        _create(world.a.reseller, world.a.admin, commission_rate=Decimal("10.01"))
    assert err.value.code == "commission-too-high"


def test_the_top_level_depth_limit_bounds_the_whole_tree(world):
    top = world.a.reseller
    _allow(top, depth=2)
    level1 = _create(top, world.a.admin, may_create_subresellers=True)
    assert subreseller_allowance(reseller=level1).allowed
    level2 = _create(level1, world.a.admin)
    assert level2.parent == level1
    # level 2 could not be allowed children: the tree is 2 deep at most.
    with pytest.raises(SubresellerError) as err:
        _create(level1, world.a.admin, may_create_subresellers=True)
    assert err.value.code == "child-too-deep"
    Reseller.objects.filter(pk=level2.pk).update(may_create_subresellers=True)
    level2.refresh_from_db()
    allowance = subreseller_allowance(reseller=level2)
    assert (allowance.allowed, allowance.reason, allowance.depth, allowance.limit) == (
        False,
        "too-deep",
        2,
        2,
    )
    with pytest.raises(SubresellerError) as err:
        _create(level2, world.a.admin)
    assert err.value.code == "too-deep"


def _transfer(world, amount, key=None, child=None, note="March allocation"):
    return subresellers.subreseller_credit_transfer(
        parent=world.a.reseller,
        actor=world.a.admin,
        child_id=(child or world.a.child).pk,
        amount=Decimal(amount),
        note=note,
        idempotency_key=key or str(uuid4()),
    )


def _balances(world):
    return (
        reseller_balance(reseller=world.a.reseller, kind=SALES),
        reseller_balance(reseller=world.a.child, kind=SALES),
    )


def test_add_credits_and_revoke_part_with_the_note_on_both_sides(world):
    _transfer(world, "30.00")
    assert _balances(world) == (Decimal("70.0000"), Decimal("30.0000"))
    _transfer(world, "-12.50", note="Added by mistake")
    assert _balances(world) == (Decimal("82.5000"), Decimal("17.5000"))
    for reseller in (world.a.reseller, world.a.child):
        memos = [
            e.transaction.memo
            for e in reseller_recent_entries(
                reseller=reseller, kind=SALES, transaction_kind=LedgerTransaction.Kind.TRANSFER
            )
        ]
        assert memos == ["Added by mistake", "March allocation"]
    actions = AuditEvent.objects.filter(action__startswith="ledger.credit_").values_list(
        "action", "reseller"
    )
    assert sorted(actions) == sorted(
        [
            ("ledger.credit_transferred", world.a.reseller.pk),
            ("ledger.credit_transferred", world.a.child.pk),
            ("ledger.credit_revoked", world.a.reseller.pk),
            ("ledger.credit_revoked", world.a.child.pk),
        ]
    )


def test_revoking_more_than_the_child_has_changes_nothing(world):
    _transfer(world, "20.00")
    with pytest.raises(InsufficientFunds) as err:
        _transfer(world, "-20.01")
    assert err.value.available == Decimal("20.0000")
    assert err.value.account.reseller_id == world.a.child.pk
    assert _balances(world) == (Decimal("80.0000"), Decimal("20.0000"))
    assert LedgerTransaction.objects.filter(kind="transfer").count() == 1


def test_the_parent_cannot_give_more_than_it_has(world):
    with pytest.raises(InsufficientFunds) as err:
        _transfer(world, "100.01")
    assert err.value.account.reseller_id == world.a.reseller.pk
    assert _balances(world) == (Decimal("100.0000"), Decimal("0"))


@pytest.mark.parametrize(
    ("amount", "code"),
    [("0", "zero"), ("0.00", "zero"), ("1.005", "decimals"), ("1000000.01", "too-large")],
)
def test_bad_amounts_are_refused(world, amount, code):
    with pytest.raises(CreditAmountError) as err:
        _transfer(world, amount)
    assert err.value.code == code
    assert not LedgerTransaction.objects.filter(kind="transfer").exists()


def test_an_empty_note_is_refused(world):
    with pytest.raises(CreditAmountError) as err:
        _transfer(world, "5", note="   ")
    assert err.value.code == "note"


def test_only_a_direct_child_can_receive(world):
    grandchild = SubResellerFactory(parent=world.a.child)
    for stranger in (world.b.child, world.b.reseller, grandchild):
        with pytest.raises(SubresellerError) as err:
            _transfer(world, "5", child=stranger)
        assert err.value.code == "not-child"
    assert not LedgerTransaction.objects.filter(kind="transfer").exists()


def test_a_double_submit_posts_and_audits_once(world):
    key = str(uuid4())
    first = _transfer(world, "10", key=key)
    second = _transfer(world, "10", key=key)
    assert first.pk == second.pk
    assert _balances(world) == (Decimal("90.0000"), Decimal("10.0000"))
    assert AuditEvent.objects.filter(action="ledger.credit_transferred").count() == 2  # both sides


def test_staff_credit_moves_bank_to_sales_credit_and_debit_never_below_zero(world):
    reseller = world.a.reseller
    subresellers.reseller_credit_adjust(
        reseller_id=reseller.pk,
        actor=world.staff,
        direction="credit",
        amount=Decimal("250.00"),
        reason="Bank transfer 2026-11-20",
        idempotency_key=str(uuid4()),
    )
    assert reseller_balance(reseller=reseller, kind=SALES) == Decimal("350.0000")
    assert operator_balance(kind=LedgerAccount.Kind.BANK, currency="EUR") == Decimal("-250.0000")
    with pytest.raises(InsufficientFunds):
        subresellers.reseller_credit_adjust(
            reseller_id=reseller.pk,
            actor=world.staff,
            direction="debit",
            amount=Decimal("350.01"),
            reason="Chargeback",
            idempotency_key=str(uuid4()),
        )
    subresellers.reseller_credit_adjust(
        reseller_id=reseller.pk,
        actor=world.staff,
        direction="debit",
        amount=Decimal("350.00"),
        reason="Chargeback",
        idempotency_key=str(uuid4()),
    )
    assert reseller_balance(reseller=reseller, kind=SALES) == Decimal("0.0000")
    assert AuditEvent.objects.filter(action="ledger.staff_adjusted").count() == 2


@pytest.mark.parametrize(
    ("direction", "amount", "reason", "code"),
    [
        ("credit", "10", "  ", "reason"),
        ("credit", "-10", "x", "negative"),
        ("credit", "0", "x", "zero"),
        ("sideways", "10", "x", "direction"),
        ("debit", "0.001", "x", "decimals"),
    ],
)
def test_staff_adjustment_bad_input(world, direction, amount, reason, code):
    with pytest.raises(CreditAmountError) as err:
        subresellers.reseller_credit_adjust(
            reseller_id=world.a.reseller.pk,
            actor=world.staff,
            direction=direction,
            amount=Decimal(amount),
            reason=reason,
            idempotency_key=str(uuid4()),
        )
    assert err.value.code == code
    assert not LedgerTransaction.objects.filter(kind="adjustment").exists()


@pytest.mark.parametrize(
    ("amount", "currency", "allow_negative", "result"),
    [
        ("12.5", "EUR", True, Decimal("12.5000")),
        ("-12.50", "PLN", True, Decimal("-12.5000")),
        ("-1", "EUR", False, "negative"),
        ("1.5", "JPY", True, "decimals"),
        ("1500", "JPY", True, Decimal("1500.0000")),
        ("-1000000.01", "EUR", True, "too-large"),
    ],
)
def test_credit_amount_check_follows_the_currency(amount, currency, allow_negative, result):
    if isinstance(result, Decimal):
        got = subresellers.credit_amount_check(
            amount=Decimal(amount), currency=currency, allow_negative=allow_negative
        )
        assert got == result
        return
    with pytest.raises(CreditAmountError) as err:
        subresellers.credit_amount_check(
            amount=Decimal(amount), currency=currency, allow_negative=allow_negative
        )
    assert err.value.code == result


def test_staff_credit_for_a_reseller_not_yet_approved_goes_to_pending(world):
    applicant = ResellerFactory(status=Reseller.Status.APPLIED)
    subresellers.reseller_credit_adjust(
        reseller_id=applicant.pk,
        actor=world.staff,
        direction="credit",
        amount=Decimal("40.00"),
        reason="Early bank transfer",
        idempotency_key=str(uuid4()),
    )
    assert reseller_balance(reseller=applicant, kind=LedgerAccount.Kind.PENDING) == Decimal("40")
    assert reseller_balance(reseller=applicant, kind=SALES) == Decimal("0")
