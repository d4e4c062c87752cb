"""The payout pages: the reseller's (Admin asks, Accountant reads), staff's (decide, export,
download, confirm); bad input is a field error and moves nothing; the lists' queries do not
grow with their rows."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import xmlschema
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from ledger.models import LedgerTransaction
from payments.bank.sepa import XSD
from payments.models import Payout, PayoutBatch
from payments.services.payouts import payout_approve, payout_request, payouts_export
from tests.factories import MembershipFactory, ResellerFactory, StaffFactory
from tests.page_queries import assert_bounded
from tests.payments.payouts import (
    BIC_DE,
    IBAN_DE,
    assert_ledger_clean,
    bank,
    commission,
    earn_commission,
    header_totals,
    pending,
)

pytestmark = pytest.mark.django_db
LIST = reverse("payments:payout-list")
REQUEST = reverse("payments:payout-request")
STAFF_LIST = reverse("payments:staff-payout-list")
EXPORT = reverse("payments:staff-payout-export")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reseller():
    reseller = ResellerFactory(currency="EUR")
    earn_commission(reseller, "100.00")
    return reseller


@pytest.fixture
def admin(reseller):
    return MembershipFactory(reseller=reseller, role=Role.ADMIN).user


@pytest.fixture
def staff():
    return StaffFactory()


def _form(**changes):
    data = {
        "amount": "60.00",
        "holder": "Nordfunk GmbH",
        "iban": IBAN_DE,
        "bic": BIC_DE,
        "form_key": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


def test_the_page_shows_the_credit_the_minimum_and_the_form(reseller, admin):
    page = _client(admin).get(LIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="payout-available">€100.00' in text
    assert 'data-testid="payout-minimum">€25.00' in text
    assert 'data-testid="payout-form"' in text


def test_the_same_form_posted_twice_makes_one_payout(reseller, admin):
    client = _client(admin)
    form = _form()
    first = client.post(REQUEST, form)
    second = client.post(REQUEST, form)
    payout = Payout.objects.get()
    assert first.status_code == second.status_code == 302
    assert (
        first["Location"]
        == second["Location"]
        == reverse("payments:payout-detail", args=[payout.pk])
    )
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PAYOUT).count() == 1
    assert commission(reseller) == Decimal("40.0000")
    detail = client.get(first["Location"])
    assert 'data-testid="payout-status">Requested' in detail.content.decode()
    assert_ledger_clean()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"amount": "10.00"}, "amount"),
        ({"amount": "100.01"}, "amount"),
        ({"amount": "50.123"}, "amount"),
        ({"iban": "DE02 1203 0000 0000 2020 52"}, "iban"),
        ({"bic": "XXXXDEF"}, "bic"),
        ({"bic": "PSSTFRPP"}, "bic"),
        ({"holder": ""}, "holder"),
        ({"holder": "y" * 71}, "holder"),
    ],
)
def test_bad_input_shows_on_its_field_and_moves_nothing(reseller, admin, changes, field):
    page = _client(admin).post(REQUEST, _form(**changes))
    assert page.status_code == 400
    form = page.context["form"]
    assert list(form.errors) == [field], form.errors
    assert not Payout.objects.exists()
    assert commission(reseller) == Decimal("100.0000")
    assert_ledger_clean()


def test_every_bad_field_at_once(reseller, admin):
    page = _client(admin).post(REQUEST, _form(amount="1", iban="DE00", bic="??", holder=" "))
    assert page.status_code == 400
    assert set(page.context["form"].errors) == {"amount", "iban", "bic", "holder"}


def test_a_reseller_in_another_currency_is_told_payouts_are_in_euros():
    reseller = ResellerFactory(currency="USD", country="US")
    earn_commission(reseller, "100.00")
    client = _client(MembershipFactory(reseller=reseller, role=Role.ADMIN).user)
    page = client.get(LIST)
    text = page.content.decode()
    assert 'data-testid="payout-not-euro"' in text and "euros" in text
    assert 'data-testid="payout-form"' not in text
    answer = client.post(REQUEST, _form())
    assert answer.status_code == 400
    assert not Payout.objects.exists()


def test_below_the_minimum_there_is_no_form_but_a_note():
    reseller = ResellerFactory(currency="EUR")
    earn_commission(reseller, "10.00")
    page = _client(MembershipFactory(reseller=reseller, role=Role.ADMIN).user).get(LIST)
    text = page.content.decode()
    assert 'data-testid="payout-below-minimum"' in text
    assert 'data-testid="payout-form"' not in text


def test_the_accountant_reads_but_cannot_ask(reseller, admin):
    payout_request(
        reseller=reseller,
        actor=admin,
        amount="30.00",
        iban=IBAN_DE,
        bic="",
        holder="Nordfunk",
        form_key="k",
    )
    accountant = _client(MembershipFactory(reseller=reseller, role=Role.ACCOUNTANT).user)
    page = accountant.get(LIST)
    assert page.status_code == 200
    assert 'data-testid="payout-form"' not in page.content.decode()
    assert "PO-" in page.content.decode()
    assert accountant.post(REQUEST, _form()).status_code == 403
    assert Payout.objects.count() == 1


def test_staff_approve_export_download_and_confirm(reseller, admin, staff):
    reseller_client = _client(admin)
    reseller_client.post(REQUEST, _form())
    payout = Payout.objects.get()
    client = _client(staff)
    page = client.get(STAFF_LIST, {"status": "requested"})
    assert payout.reference in page.content.decode()
    assert payout.reference not in client.get(STAFF_LIST, {"status": "paid"}).content.decode()

    answer = client.post(reverse("payments:staff-payout-approve", args=[payout.pk]))
    assert answer.status_code == 302
    answer = client.post(EXPORT)
    batch = PayoutBatch.objects.get()
    assert answer["Location"] == reverse("payments:staff-payout-batch-detail", args=[batch.pk])

    download = client.get(reverse("payments:staff-payout-batch-download", args=[batch.pk]))
    assert download["Content-Type"] == "application/xml"
    assert batch.message_id in download["Content-Disposition"]
    xmlschema.XMLSchema(str(XSD)).validate(download.content.decode())
    assert header_totals(download.content) == (1, Decimal("60.00"))

    confirm = reverse("payments:staff-payout-batch-confirm", args=[batch.pk])
    assert client.post(confirm).status_code == 302
    assert client.post(confirm).status_code == 302  # again: nothing more happens
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PAYOUT_PAID).count() == 1
    assert (pending(), bank()) == (Decimal("0.0000"), Decimal("60.0000"))
    detail = reseller_client.get(reverse("payments:payout-detail", args=[payout.pk]))
    assert 'data-testid="payout-status">Paid' in detail.content.decode()
    assert_ledger_clean()


def test_reject_needs_a_reason_and_gives_the_amount_back(reseller, admin, staff):
    _client(admin).post(REQUEST, _form(amount="30.00"))
    payout = Payout.objects.get()
    client = _client(staff)
    url = reverse("payments:staff-payout-reject", args=[payout.pk])
    answer = client.post(url, {"reason": ""})
    assert answer.status_code == 400
    assert "reason" in answer.context["reject_form"].errors
    assert commission(reseller) == Decimal("70.0000")
    answer = client.post(url, {"reason": "IBAN belongs to somebody else"})
    assert answer.status_code == 302
    payout.refresh_from_db()
    assert payout.status == Payout.Status.REJECTED
    assert commission(reseller) == Decimal("100.0000")
    page = _client(admin).get(reverse("payments:payout-detail", args=[payout.pk]))
    assert "IBAN belongs to somebody else" in page.content.decode()
    assert_ledger_clean()


def test_export_with_nothing_approved_says_so(staff):
    answer = _client(staff).post(EXPORT, follow=True)
    assert answer.status_code == 200
    assert "No approved payout" in answer.content.decode()
    assert not PayoutBatch.objects.exists()


# --- Bounded queries ------------------------------------------------------------------------


def _payouts(resellers, staff, rows: int, *, export: bool = False) -> None:
    """Payouts of every state the lists show, for each reseller in turn."""
    for number in range(rows):
        reseller, admin = resellers[number % len(resellers)]
        earn_commission(reseller, "30.00")
        payout = payout_request(
            reseller=reseller,
            actor=admin,
            amount="25.00",
            iban=IBAN_DE,
            bic=BIC_DE,
            holder=f"Holder {number}",
            form_key=str(uuid.uuid4()),
        )
        if number % 2:
            payout_approve(payout_id=payout.pk, actor=staff)
    if export:
        payouts_export(actor=staff)


@pytest.fixture
def two(staff):
    pairs = []
    for _ in range(2):
        reseller = ResellerFactory(currency="EUR")
        pairs.append((reseller, MembershipFactory(reseller=reseller, role=Role.ADMIN).user))
    return pairs


def test_reseller_payouts_list_is_bounded(two, staff, django_assert_max_num_queries):
    client = _client(two[0][1])
    assert_bounded(client, LIST, lambda n: _payouts(two, staff, n), django_assert_max_num_queries)


def test_staff_payouts_list_is_bounded(two, staff, django_assert_max_num_queries):
    assert_bounded(
        _client(staff), STAFF_LIST, lambda n: _payouts(two, staff, n), django_assert_max_num_queries
    )


def test_staff_batch_list_is_bounded(two, staff, django_assert_max_num_queries):
    url = reverse("payments:staff-payout-batch-list")
    assert_bounded(
        _client(staff),
        url,
        lambda n: [_payouts(two, staff, 2, export=True) for _ in range(n)],
        django_assert_max_num_queries,
    )


def test_staff_batch_detail_is_bounded(two, staff, django_assert_max_num_queries):
    _payouts(two, staff, 2, export=True)
    batch = PayoutBatch.objects.get()
    url = reverse("payments:staff-payout-batch-detail", args=[batch.pk])

    def more(n):
        """More payouts in the same file (as if exported together)."""
        _payouts(two, staff, 2 * n)
        Payout.objects.filter(status=Payout.Status.APPROVED).update(
            status=Payout.Status.EXPORTED, batch=batch
        )

    assert_bounded(_client(staff), url, more, django_assert_max_num_queries)
