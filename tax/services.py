"""Writes on VIES checks that start one: the check is asked by a task after commit."""

from __future__ import annotations

from core.queue import enqueue_on_commit
from tax.models import VatCheck
from tax.tasks import vies_check


def vat_check_start(*, reseller) -> VatCheck:
    """A new pending VIES check of the reseller's VAT ID, made the reseller's current one and
    asked after commit. Call it inside the transaction that locked the reseller."""
    check = VatCheck.objects.create(reseller=reseller, vat_id=reseller.vat_id)
    reseller.vat_check = check
    reseller.save(update_fields=["vat_check"])
    # Broker down: logged; the check stays pending (staff ask VIES again on the application).
    enqueue_on_commit(vies_check, check.pk)
    return check
