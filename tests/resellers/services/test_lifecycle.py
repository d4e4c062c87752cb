"""Reseller services: suspension and reactivation, audited in the same transaction."""

import pytest

from audit.models import AuditEvent
from resellers.models import Reseller
from resellers.services.lifecycle import ResellerStateError, reseller_reactivate, reseller_suspend
from tests.errors import raises_code
from tests.factories import ResellerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_suspend_records_who_why_and_the_previous_status():
    reseller, staff = ResellerFactory(), StaffFactory()
    reseller_suspend(reseller_id=reseller.pk, actor=staff, reason="unpaid invoices")
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.SUSPENDED
    assert reseller.status_reason == "unpaid invoices"
    event = AuditEvent.objects.get(action="reseller.suspended")
    assert (event.actor, event.reseller, event.object_id) == (staff, reseller, str(reseller.pk))
    assert event.data == {"reason": "unpaid invoices", "previous_status": "approved"}


@pytest.mark.parametrize("status", [Reseller.Status.APPLIED, Reseller.Status.REJECTED])
def test_only_an_approved_reseller_can_be_suspended_and_nothing_is_written(status):
    reseller = ResellerFactory(status=status)
    with raises_code(ResellerStateError, "not-approved"):
        reseller_suspend(reseller_id=reseller.pk, actor=StaffFactory(), reason="x")
    reseller.refresh_from_db()
    assert reseller.status == status
    assert not AuditEvent.objects.exists()


def test_suspending_twice_is_refused():
    reseller, staff = ResellerFactory(), StaffFactory()
    reseller_suspend(reseller_id=reseller.pk, actor=staff, reason="x")
    with raises_code(ResellerStateError, "already-suspended"):
        reseller_suspend(reseller_id=reseller.pk, actor=staff, reason="y")
    assert AuditEvent.objects.filter(action="reseller.suspended").count() == 1


def test_reactivate_lifts_the_suspension():
    reseller, staff = ResellerFactory(), StaffFactory()
    reseller_suspend(reseller_id=reseller.pk, actor=staff, reason="x")
    reseller_reactivate(reseller_id=reseller.pk, actor=staff)
    reseller.refresh_from_db()
    assert (reseller.status, reseller.status_reason) == (Reseller.Status.APPROVED, "")
    assert AuditEvent.objects.filter(action="reseller.reactivated", actor=staff).count() == 1
    with raises_code(ResellerStateError, "not-suspended"):
        reseller_reactivate(reseller_id=reseller.pk, actor=staff)


@pytest.mark.django_db(transaction=True)
def test_a_failed_audit_write_rolls_the_suspension_back(monkeypatch):
    """The audit row is part of the change: when it cannot be written, nothing is."""
    reseller, staff = ResellerFactory(), StaffFactory()
    oversize = {"reason": "x" * 10}

    def refuse(*args, **kwargs):
        raise RuntimeError("audit storage unavailable")

    monkeypatch.setattr(AuditEvent.objects, "create", refuse)
    with pytest.raises(RuntimeError):
        reseller_suspend(reseller_id=reseller.pk, actor=staff, reason=oversize["reason"])
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPROVED
