"""The payout request form posted twice at once, each post in its own connection on
PostgreSQL: one payout, one posting; and two different forms that each fit the commission
credit but not together: one is paid, the other refused, the credit never below zero."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from ledger.models import LedgerTransaction
from payments.models import Payout
from tests.factories import MembershipFactory, ResellerFactory
from tests.ledger.test_concurrency import run_concurrently
from tests.payments.payouts import (
    BIC_DE,
    IBAN_DE,
    assert_ledger_clean,
    commission,
    earn_commission,
    pending,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
REQUEST = reverse("payments:payout-request")


def _setup():
    reseller = ResellerFactory(currency="EUR")
    earn_commission(reseller, "100.00")
    return reseller, MembershipFactory(reseller=reseller, role=Role.ADMIN).user


def _post(user, data):
    client = Client()
    client.force_login(user)
    return client.post(REQUEST, data)


def _form(amount: str, key: str) -> dict:
    return {"amount": amount, "holder": "Nordfunk GmbH", "iban": IBAN_DE, "bic": BIC_DE,
            "form_key": key}  # fmt: skip


def test_the_same_form_posted_twice_at_once_makes_one_payout():
    reseller, admin = _setup()
    form = _form("60.00", str(uuid.uuid4()))
    outcomes = run_concurrently(2, lambda i: _post(admin, form))
    assert [getattr(o, "status_code", o) for o in outcomes] == [302, 302], outcomes
    assert outcomes[0]["Location"] == outcomes[1]["Location"]
    assert Payout.objects.filter(reseller=reseller).count() == 1
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PAYOUT).count() == 1
    assert commission(reseller) == Decimal("40.0000")
    assert pending() == Decimal("60.0000")
    assert_ledger_clean()


def test_two_forms_at_once_cannot_take_more_than_the_credit():
    reseller, admin = _setup()
    forms = [_form("60.00", str(uuid.uuid4())), _form("60.00", str(uuid.uuid4()))]
    outcomes = run_concurrently(2, lambda i: _post(admin, forms[i]))
    codes = sorted(getattr(o, "status_code", o) for o in outcomes)
    assert codes == [302, 400], outcomes
    assert Payout.objects.filter(reseller=reseller).count() == 1
    assert commission(reseller) == Decimal("40.0000")
    assert pending() == Decimal("60.0000")
    assert_ledger_clean()
