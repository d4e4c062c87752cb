"""Gapless numbers per issuer, series and year, under real concurrency on PostgreSQL.

Every test commits for real: 20 threads with their own connections issue invoices at once,
as 20 web workers or Celery processes would; the counter's row lock is all that orders them.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from billing.models import Invoice, InvoiceCounter
from billing.numbering import number_next
from billing.services.invoices import LineSpec, credit_note_issue, invoice_issue
from tests.factories import ResellerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ISSUERS = 20
EACH = 5


def _issue(reseller, key: str, net: str = "10.00") -> Invoice:
    with transaction.atomic():
        return invoice_issue(
            reseller=reseller,
            source_key=key,
            currency="EUR",
            treatment="domestic",
            vat_rate=Decimal("19.00"),
            lines=[LineSpec(description="Prepaid sales credit", unit_price=Decimal(net))],
            supply_date=date.today(),
        )


def _run(count: int, work) -> list:
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def worker(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            outcomes[i] = work(i)
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.slow
def test_twenty_concurrent_issuers_leave_no_gap_and_no_duplicate():
    resellers = [ResellerFactory() for _ in range(4)]

    def work(i: int):
        issued = []
        for n in range(EACH):
            # Every fifth transaction of a thread fails after taking its number: the
            # rollback must give the number back.
            if n == 2:
                try:
                    with transaction.atomic():
                        _issue_inside(resellers[i % 4], f"fail:{i}:{n}")
                        raise RuntimeError("rolled back on purpose")
                except RuntimeError:
                    pass
            issued.append(_issue(resellers[i % 4], f"t:{i}:{n}").number)
        return issued

    outcomes = _run(ISSUERS, work)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert not errors, errors
    numbers = [number for issued in outcomes for number in issued]
    assert len(numbers) == ISSUERS * EACH == len(set(numbers))
    year = Invoice.objects.values_list("year", flat=True).first()
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, ISSUERS * EACH + 1))
    assert sorted(numbers) == [f"{year}-{n:06d}" for n in range(1, ISSUERS * EACH + 1)]
    counter = InvoiceCounter.objects.get(series="INV", year=year)
    assert counter.last == ISSUERS * EACH
    assert not Invoice.objects.filter(source_key__startswith="fail:").exists()


def _issue_inside(reseller, key: str) -> Invoice:
    return invoice_issue(
        reseller=reseller,
        source_key=key,
        currency="EUR",
        treatment="domestic",
        vat_rate=Decimal("19.00"),
        lines=[LineSpec(description="x", unit_price=Decimal("1.00"))],
        supply_date=date.today(),
    )


@pytest.mark.slow
def test_first_numbers_of_a_new_series_race_without_collision():
    """The counter row does not exist yet: 20 first invoices of the year insert it at once."""
    outcomes = _run(ISSUERS, lambda i: _counted(i))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(outcomes) == list(range(1, ISSUERS + 1))
    assert InvoiceCounter.objects.filter(issuer_key="race").count() == 1


def _counted(i: int) -> int:
    with transaction.atomic():
        return number_next(issuer_key="race", series="INV", year=2031)


def test_rollback_returns_the_number_and_credit_notes_count_apart():
    reseller = ResellerFactory()
    first = _issue(reseller, "a")
    with pytest.raises(RuntimeError), transaction.atomic():
        _issue_inside(reseller, "b")
        raise RuntimeError
    second = _issue(reseller, "c")
    assert (first.sequence, second.sequence) == (1, 2)
    with transaction.atomic():
        note = credit_note_issue(
            invoice=second,
            source_key="c-refund",
            net=Decimal("5.00"),
            vat=Decimal("0.95"),
            reason="part",
        )
    assert note.number == f"CN-{note.year}-000001"
    assert note.credited_invoice == second and note.kind == Invoice.Kind.CREDIT_NOTE
    third = _issue(reseller, "d")
    assert third.sequence == 3


def test_the_same_source_is_invoiced_once():
    reseller = ResellerFactory()
    one = _issue(reseller, "same")
    two = _issue(reseller, "same")
    assert one.pk == two.pk and Invoice.objects.count() == 1


def test_numbers_restart_each_year_per_series():
    with transaction.atomic():
        assert number_next(issuer_key="operator", series="INV", year=2030) == 1
        assert number_next(issuer_key="operator", series="INV", year=2030) == 2
        assert number_next(issuer_key="operator", series="INV", year=2031) == 1
        assert number_next(issuer_key="operator", series="CN", year=2030) == 1
        assert number_next(issuer_key="reseller:9", series="INV", year=2030) == 1


def test_issuing_outside_a_transaction_is_refused():
    reseller = ResellerFactory()
    with pytest.raises(RuntimeError):
        _issue_inside(reseller, "no-atomic")
