"""Commission payouts, service by service, with the balances worked out by hand.

A reseller earned 100.00 of commission. It asks for 60.00: commission 40.00, the operator's
payouts pending 60.00. Staff approve it, export the SEPA file (one transfer of 60.00) and
confirm it: pending 0.00, bank +60.00 (money left the operator's account). A rejected payout
of 30.00 gives its amount back: commission 70.00, pending 0.00.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import xmlschema

from accounts.models import Role
from audit.models import AuditEvent
from ledger.models import LedgerTransaction
from payments.bank.sepa import XSD, SepaFileInvalid, Transfer, credit_transfer_file
from payments.errors import PayoutError
from payments.models import Payout, PayoutBatch
from payments.services.payouts import (
    payout_approve,
    payout_batch_confirm,
    payout_reject,
    payout_request,
    payouts_export,
)
from tests.factories import MembershipFactory, ResellerFactory, StaffFactory
from tests.payments.payouts import (
    BIC_DE,
    BIC_FR,
    IBAN_DE,
    IBAN_FR,
    IBAN_NL,
    assert_ledger_clean,
    bank,
    commission,
    earn_commission,
    header_totals,
    pending,
    postings,
    transactions,
)

pytestmark = pytest.mark.django_db

TK = LedgerTransaction.Kind


@pytest.fixture
def reseller():
    reseller = ResellerFactory(currency="EUR", language="de")
    earn_commission(reseller, "100.00")
    return reseller


@pytest.fixture
def admin(reseller):
    return MembershipFactory(reseller=reseller, role=Role.ADMIN).user


@pytest.fixture
def staff():
    return StaffFactory()


def ask(reseller, admin, amount="60.00", key="form-1", **account):
    fields = {"iban": IBAN_DE, "bic": BIC_DE, "holder": "Nordfunk GmbH", **account}
    return payout_request(reseller=reseller, actor=admin, amount=amount, form_key=key, **fields)


def test_request_moves_the_amount_to_payouts_pending_at_once(reseller, admin):
    payout = ask(reseller, admin)
    assert payout.status == Payout.Status.REQUESTED
    assert payout.iban == "DE02120300000000202051"  # compact
    assert payout.bic == "BYLADEM1001"
    assert payout.amount == Decimal("60.00") and payout.currency == "EUR"
    assert commission(reseller) == Decimal("40.0000")
    assert pending() == Decimal("60.0000")
    txn = payout.request_transaction
    assert txn.kind == TK.PAYOUT and txn.reseller_id == reseller.pk
    assert AuditEvent.objects.filter(action="payout.requested", object_id=str(payout.pk)).exists()
    assert_ledger_clean()


def test_the_same_form_twice_makes_one_payout_and_one_posting(reseller, admin):
    first = ask(reseller, admin)
    again = ask(reseller, admin)
    assert again.pk == first.pk
    assert Payout.objects.count() == 1
    assert postings(TK.PAYOUT) == 1
    assert commission(reseller) == Decimal("40.0000")
    # Another form is another payout (the rest of the credit).
    ask(reseller, admin, amount="40.00", key="form-2")
    assert commission(reseller) == Decimal("0.0000")
    assert pending() == Decimal("100.0000")
    assert_ledger_clean()


def _nothing_moved(reseller):
    assert Payout.objects.count() == 0
    assert postings(TK.PAYOUT) == 0
    assert commission(reseller) == Decimal("100.0000")
    assert pending() == 0
    assert_ledger_clean()


@pytest.mark.parametrize(
    "fields, code, field",
    [
        ({"amount": "24.99"}, "amount-below-minimum", "amount"),
        ({"amount": "100.01"}, "amount-above-credit", "amount"),
        ({"amount": "30.001"}, "amount-invalid", "amount"),
        ({"amount": "0"}, "amount-invalid", "amount"),
        ({"amount": "-30"}, "amount-invalid", "amount"),
        ({"amount": "abc"}, "amount-invalid", "amount"),
        ({"amount": "NaN"}, "amount-invalid", "amount"),
        ({"iban": "DE02 1203 0000 0000 2020 52"}, "iban-invalid", "iban"),  # checksum
        ({"iban": "DE89"}, "iban-invalid", "iban"),
        ({"iban": ""}, "iban-invalid", "iban"),
        ({"iban": "BR1500000000000010932840814P2", "bic": ""}, "iban-not-sepa", "iban"),
        ({"bic": "COBADEF"}, "bic-invalid", "bic"),
        ({"bic": "COBA1EFF"}, "bic-invalid", "bic"),
        ({"bic": BIC_FR}, "bic-wrong-country", "bic"),  # French bank, German IBAN
        ({"holder": "   "}, "holder-missing", "holder"),
        ({"holder": "x" * 71}, "holder-too-long", "holder"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_moves(reseller, admin, fields, code, field):
    with pytest.raises(PayoutError) as caught:
        ask(reseller, admin, **fields)
    assert caught.value.code == code
    assert caught.value.field == field
    _nothing_moved(reseller)


def test_iban_without_bic_and_other_sepa_countries_are_accepted(reseller, admin):
    dutch = ask(reseller, admin, amount="30.00", key="nl", iban=IBAN_NL, bic="")
    french = ask(reseller, admin, amount="30.00", key="fr", iban=IBAN_FR, bic="psstfrpp")
    assert (dutch.iban, dutch.bic) == ("NL91ABNA0417164300", "")
    assert (french.iban, french.bic) == ("FR1420041010050500013M02606", "PSSTFRPP")
    assert commission(reseller) == Decimal("40.0000")
    assert_ledger_clean()


def test_a_reseller_kept_in_another_currency_is_told_payouts_are_in_euros():
    reseller = ResellerFactory(currency="USD", country="US")
    earn_commission(reseller, "100.00")
    admin = MembershipFactory(reseller=reseller, role=Role.ADMIN).user
    with pytest.raises(PayoutError) as caught:
        ask(reseller, admin)
    assert caught.value.code == "not-euro"
    assert "euros" in str(caught.value) and "USD" in str(caught.value)
    assert Payout.objects.count() == 0
    assert commission(reseller) == Decimal("100.0000")
    assert_ledger_clean()


def test_minimum_follows_the_setting(reseller, admin, settings):
    settings.PAYOUT_MINIMUM = Decimal("80.00")
    with pytest.raises(PayoutError) as caught:
        ask(reseller, admin, amount="79.99")
    assert caught.value.code == "amount-below-minimum"
    assert ask(reseller, admin, amount="80.00").amount == Decimal("80.00")


def test_approve_export_confirm_pays_out_of_the_bank(
    reseller, admin, staff, mailoutbox, django_capture_on_commit_callbacks
):
    payout = ask(reseller, admin)
    payout_approve(payout_id=payout.pk, actor=staff)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.APPROVED and payout.decided_by == staff
    with pytest.raises(PayoutError) as caught:
        payout_approve(payout_id=payout.pk, actor=staff)
    assert caught.value.code == "not-requested"

    batch = payouts_export(actor=staff)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.EXPORTED and payout.batch == batch
    assert (batch.count, batch.control_sum) == (1, Decimal("60.00"))
    assert pending() == Decimal("60.0000")  # exported is not paid yet
    assert bank() == 0

    with django_capture_on_commit_callbacks(execute=True):
        payout_batch_confirm(batch_id=batch.pk, actor=staff)
    payout.refresh_from_db()
    batch.refresh_from_db()
    assert payout.status == Payout.Status.PAID and payout.paid_at is not None
    assert batch.status == PayoutBatch.Status.CONFIRMED and batch.confirmed_by == staff
    assert payout.paid_transaction.kind == TK.PAYOUT_PAID
    assert commission(reseller) == Decimal("40.0000")
    assert pending() == Decimal("0.0000")
    assert bank() == Decimal("60.0000")  # a credit: money went out of the operator's bank
    assert_ledger_clean()
    # The reseller's contact is told.
    (mail,) = mailoutbox
    assert mail.to == [reseller.contact_email]
    assert payout.reference in mail.subject
    assert "DE02 1203 0000 0000 2020 51" in mail.body


def test_confirming_twice_posts_once(reseller, admin, staff):
    payout = ask(reseller, admin)
    payout_approve(payout_id=payout.pk, actor=staff)
    batch = payouts_export(actor=staff)
    payout_batch_confirm(batch_id=batch.pk, actor=staff)
    payout_batch_confirm(batch_id=batch.pk, actor=staff)
    assert postings(TK.PAYOUT_PAID) == 1
    assert bank() == Decimal("60.0000")
    assert AuditEvent.objects.filter(action="payout_batch.confirmed").count() == 1
    assert_ledger_clean()


def test_reject_gives_the_amount_back_with_the_reason(
    reseller, admin, staff, mailoutbox, django_capture_on_commit_callbacks
):
    payout = ask(reseller, admin, amount="30.00")
    assert commission(reseller) == Decimal("70.0000")
    with pytest.raises(PayoutError) as caught:
        payout_reject(payout_id=payout.pk, actor=staff, reason="  ")
    assert (caught.value.code, caught.value.field) == ("reason-missing", "reason")
    assert commission(reseller) == Decimal("70.0000")

    with django_capture_on_commit_callbacks(execute=True):
        payout_reject(payout_id=payout.pk, actor=staff, reason="Account closed")
    payout.refresh_from_db()
    assert payout.status == Payout.Status.REJECTED and payout.reason == "Account closed"
    assert payout.return_transaction.kind == TK.REVERSAL
    assert payout.return_transaction.reverses_id == payout.request_transaction_id
    assert commission(reseller) == Decimal("100.0000")
    assert pending() == Decimal("0.0000")
    with pytest.raises(PayoutError):
        payout_reject(payout_id=payout.pk, actor=staff, reason="again")
    assert postings(TK.REVERSAL) == 1
    assert_ledger_clean()
    (mail,) = mailoutbox
    assert "Account closed" in mail.body


def test_an_approved_payout_can_still_be_rejected_but_not_an_exported_one(reseller, admin, staff):
    approved = ask(reseller, admin, amount="30.00", key="a")
    exported = ask(reseller, admin, amount="30.00", key="b")
    payout_approve(payout_id=exported.pk, actor=staff)
    payouts_export(actor=staff)
    payout_approve(payout_id=approved.pk, actor=staff)
    payout_reject(payout_id=approved.pk, actor=staff, reason="Wrong account")
    with pytest.raises(PayoutError) as caught:
        payout_reject(payout_id=exported.pk, actor=staff, reason="Too late")
    assert caught.value.code == "not-decidable"
    assert commission(reseller) == Decimal("70.0000")
    assert pending() == Decimal("30.0000")
    assert_ledger_clean()


def test_the_file_validates_and_adds_up_to_the_approved_payouts_only(reseller, admin, staff):
    other = ResellerFactory(currency="EUR", name="Zweite Funk")
    earn_commission(other, "200.00")
    other_admin = MembershipFactory(reseller=other, role=Role.ADMIN).user
    approved = [
        ask(reseller, admin, amount="25.50", key="1"),
        ask(other, other_admin, amount="123.45", key="2", iban=IBAN_FR, bic=BIC_FR,
            holder="Société Générale Müller & Fils"),
        ask(other, other_admin, amount="26.00", key="3", iban=IBAN_NL, bic=""),
    ]  # fmt: skip
    still_requested = ask(reseller, admin, amount="30.00", key="4")
    rejected = ask(reseller, admin, amount="25.00", key="5")
    for payout in approved:
        payout_approve(payout_id=payout.pk, actor=staff)
    payout_reject(payout_id=rejected.pk, actor=staff, reason="No")

    batch = payouts_export(actor=staff)
    content = bytes(batch.content)
    xmlschema.XMLSchema(str(XSD)).validate(content.decode())  # raises when invalid
    assert header_totals(content) == (3, Decimal("174.95"))
    assert (batch.count, batch.control_sum) == (3, Decimal("174.95"))
    assert transactions(content) == {p.end_to_end_id: p.amount for p in approved}
    assert still_requested.end_to_end_id not in transactions(content)
    assert rejected.end_to_end_id not in transactions(content)
    # The operator is the debtor (settings.OPERATOR).
    assert b"<DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN>" in content
    assert batch.sha256 and len(batch.message_id) <= 35
    assert set(batch.payouts.values_list("pk", flat=True)) == {p.pk for p in approved}
    # Nothing left to export: a second export is refused and makes no file.
    with pytest.raises(PayoutError) as caught:
        payouts_export(actor=staff)
    assert caught.value.code == "nothing-to-export"
    assert PayoutBatch.objects.count() == 1
    assert_ledger_clean()


def test_a_file_that_fails_the_schema_is_refused():
    """An end-to-end id longer than pain.001 allows: the schema check refuses the file."""
    transfer = Transfer(
        end_to_end_id="X" * 36,  # longer than the 35 the schema allows
        amount=Decimal("10.00"),
        iban="DE89370400440532013000",
        bic="",
        name="Test",
        text="Test",
    )
    with pytest.raises(SepaFileInvalid):
        credit_transfer_file(
            debtor={"name": "Op", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
            transfers=[transfer],
            execution_date=date(2026, 1, 5),
        )
