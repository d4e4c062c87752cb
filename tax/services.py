"""Writes on VIES checks that start one: the check is asked by a task after commit."""

from __future__ import annotations

from core.queue import enqueue_on_commit
from tax.models import VatCheck
from tax.tasks import vies_check
from tax.treatment import EU_COUNTRIES


def vat_check_applies(*, country: str, vat_id: str) -> bool:
    """VIES knows EU VAT IDs only: whether a company of `country` with `vat_id` is checked."""
    return bool(vat_id) and str(country).upper() in EU_COUNTRIES


def vat_check_start(*, reseller) -> VatCheck:
    """A new pending VIES check of the reseller's VAT ID, made the reseller's current one and
    asked after commit. Call it inside the transaction that locked (or created) the reseller."""
    check = VatCheck.objects.create(reseller=reseller, vat_id=reseller.vat_id)
    reseller.vat_check = check
    reseller.save(update_fields=["vat_check"])
    # Broker down: logged; the check stays pending (staff ask VIES again on the application).
    enqueue_on_commit(vies_check, check.pk)
    return check
