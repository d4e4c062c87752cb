"""A staff credit racing with the approval of the same reseller, on PostgreSQL."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ledger.models import LedgerAccount
from ledger.selectors import reseller_balance
from resellers.models import Reseller
from resellers.services.subresellers import reseller_credit_adjust
from tests.factories import ResellerFactory, StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

Kind = LedgerAccount.Kind


def test_a_staff_credit_waits_for_an_approval_under_way_and_is_not_stranded_in_pending():
    """Approval locks the reseller, moves pending to sales credit and marks it approved. A
    credit that read the status without the lock saw "applied" and posted to pending after
    approval had emptied it: stranded. Now the credit waits for the lock and reads
    "approved"."""
    reseller = ResellerFactory(status=Reseller.Status.APPLIED)
    staff = StaffFactory()
    locked = threading.Event()

    def approval_under_way():
        try:
            with transaction.atomic():
                Reseller.objects.select_for_update().get(pk=reseller.pk)
                locked.set()
                time.sleep(0.5)  # the credit arrives now
                Reseller.objects.filter(pk=reseller.pk).update(status=Reseller.Status.APPROVED)
        finally:
            connection.close()

    approver = threading.Thread(target=approval_under_way)
    approver.start()
    assert locked.wait(5)
    reseller_credit_adjust(
        reseller_id=reseller.pk,
        actor=staff,
        direction="credit",
        amount=Decimal("50.00"),
        reason="Bank transfer received",
        idempotency_key="race-1",
    )
    approver.join(5)
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPROVED
    assert reseller_balance(reseller=reseller, kind=Kind.PENDING) == 0
    assert reseller_balance(reseller=reseller, kind=Kind.SALES_CREDIT) == Decimal("50.00")
