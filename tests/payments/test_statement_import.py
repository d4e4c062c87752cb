"""Bank statements: matched by RF reference, then by amount; partial, over, repeated and
unknown payments wait for staff; a line never pays twice; staff assign or set aside."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ledger.models import LedgerAccount
from payments.errors import StatementLineError
from payments.models import StatementImport, StatementLine, TopUp
from payments.services.statements import (
    statement_import_create,
    statement_line_assign,
    statement_line_dismiss,
)
from tests.factories import StaffFactory
from tests.payments.helpers import german_reseller, polish_vies_reseller
from tests.payments.portal import clearing, open_topup, sales_credit, topup_postings
from tests.payments.statement_files import camt053

pytestmark = pytest.mark.django_db
Status = StatementLine.Status


@pytest.fixture
def run_import(django_capture_on_commit_callbacks):
    def run(data: bytes, name="statement.xml"):
        staff = StaffFactory()
        with django_capture_on_commit_callbacks(execute=True):
            statement = statement_import_create(actor=staff, file_name=name, content=data)
        return StatementImport.objects.get(pk=statement.pk)

    return run


def test_reference_match_credits_the_polish_company_without_vat(run_import):
    reseller = polish_vies_reseller()
    topup = open_topup(reseller, method="bank", net="250.00")
    statement = run_import(
        camt053([{"amount": "250.00", "reference": topup.reference, "payer": "Zakład Sp. z o.o."}])
    )
    assert (statement.status, statement.matched, statement.queued) == ("done", 1, 0)
    assert statement.credited_total == {"EUR": "250.00"}
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and topup.vat == 0
    assert sales_credit(reseller) == Decimal("250.00")
    assert clearing(LedgerAccount.Kind.BANK) == Decimal("-250.00")
    assert clearing(LedgerAccount.Kind.VAT_PAYABLE) == 0


def test_reference_in_free_text_and_match_by_unique_amount(run_import):
    first = open_topup(german_reseller(), method="bank", net="100.00")  # 119.00
    second = open_topup(german_reseller(), method="bank", net="200.00")  # 238.00
    spaced = " ".join(first.reference[i : i + 4] for i in range(0, len(first.reference), 4))
    statement = run_import(
        camt053(
            [
                {"amount": "119.00", "text": f"Top-up {spaced.lower()} thanks"},
                {"amount": "238.00", "text": "for our credit"},
            ]
        )
    )
    assert statement.matched == 2
    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == second.status == TopUp.Status.PAID


def test_the_same_statement_imported_twice_pays_once(run_import):
    reseller = german_reseller()
    topup = open_topup(reseller, method="bank", net="100.00")
    data = camt053([{"amount": "119.00", "reference": topup.reference}])
    run_import(data)
    again = run_import(data, name="statement-again.xml")
    assert (again.matched, again.duplicates) == (0, 1)
    assert topup_postings(topup) == 1 and sales_credit(reseller) == Decimal("100.00")


def test_partial_over_repeated_unknown_and_wrong_currency_wait_for_staff(run_import):
    partial = open_topup(german_reseller(), method="bank", net="100.00")
    over = open_topup(german_reseller(), method="bank", net="100.00")
    paid = open_topup(german_reseller(), method="bank", net="50.00")
    statement = run_import(
        camt053(
            [
                {"amount": "59.50", "reference": partial.reference},
                {"amount": "130.00", "reference": over.reference},
                {"amount": "59.50", "reference": paid.reference, "bank_reference": "A"},
                {"amount": "59.50", "reference": paid.reference, "bank_reference": "B"},
                {"amount": "77.77", "text": "no idea"},
                {"amount": "119.00", "reference": partial.reference, "currency": "USD"},
            ]
        )
    )
    assert (statement.matched, statement.queued) == (1, 5)
    statuses = sorted(StatementLine.objects.values_list("status", flat=True))
    assert statuses == sorted(
        [
            Status.PARTIAL,
            Status.OVER,
            Status.MATCHED,
            Status.ALREADY_PAID,
            Status.UNMATCHED,
            Status.WRONG_CURRENCY,
        ]
    )
    for topup in (partial, over):
        topup.refresh_from_db()
        assert topup.status == TopUp.Status.PENDING
    assert topup_postings(paid) == 1


def test_staff_assign_a_partial_payment_credits_what_arrived(run_import):
    reseller = german_reseller()
    topup = open_topup(reseller, method="bank", net="100.00")
    run_import(camt053([{"amount": "59.50", "reference": topup.reference}]))
    line = StatementLine.objects.get(status=Status.PARTIAL)
    staff = StaffFactory()
    statement_line_assign(line_id=line.pk, reference=topup.reference, actor=staff, note="ok")
    topup.refresh_from_db()
    assert (topup.status, topup.gross, topup.net, topup.vat) == (
        TopUp.Status.PAID,
        Decimal("59.50"),
        Decimal("50.00"),
        Decimal("9.50"),
    )
    assert sales_credit(reseller) == Decimal("50.00")
    with pytest.raises(StatementLineError) as twice:
        statement_line_assign(line_id=line.pk, reference=topup.reference, actor=staff)
    assert twice.value.code == "resolved"


def test_assigning_to_a_paid_or_foreign_currency_topup_is_refused(run_import):
    paid = open_topup(german_reseller(), method="bank", net="50.00")
    run_import(camt053([{"amount": "59.50", "reference": paid.reference}]))
    run_import(camt053([{"amount": "10.00", "text": "?", "bank_reference": "X"}]))
    line = StatementLine.objects.get(status=Status.UNMATCHED)
    staff = StaffFactory()
    with pytest.raises(StatementLineError) as refused:
        statement_line_assign(line_id=line.pk, reference=paid.reference, actor=staff)
    assert refused.value.code == "topup-paid"
    with pytest.raises(StatementLineError) as unknown:
        statement_line_assign(line_id=line.pk, reference="RF00NOTHING", actor=staff)
    assert unknown.value.code == "topup-unknown"
    statement_line_dismiss(line_id=line.pk, actor=staff, note="sent back")
    line.refresh_from_db()
    assert line.status == Status.DISMISSED


def test_a_file_that_is_no_statement_fails_with_its_reason(run_import):
    statement = run_import(b"<html>hello</html>", name="page.html")
    assert statement.status == StatementImport.Status.FAILED and statement.error


def test_upload_page_imports_and_shows_the_summary(django_capture_on_commit_callbacks):
    from allauth.mfa.models import Authenticator

    staff = StaffFactory()
    assert Authenticator.objects.filter(user=staff).exists()
    reseller = german_reseller()
    topup = open_topup(reseller, method="bank", net="100.00")
    client = Client()
    client.force_login(staff)
    upload = SimpleUploadedFile(
        "stmt.xml", camt053([{"amount": "119.00", "reference": topup.reference}])
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("payments:staff-statements"), {"file": upload})
    assert answer.status_code == 302
    page = client.get(answer["Location"])
    assert page.status_code == 200
    assert 'data-testid="statement-summary"' in page.content.decode()
    assert sales_credit(reseller) == Decimal("100.00")
