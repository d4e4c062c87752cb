"""Resellers as the payments tests need them: German, VIES-valid Polish, US."""

from __future__ import annotations

from tax.models import VatCheck
from tests.factories import ResellerFactory


def vies_confirm(reseller, vat_id: str) -> None:
    check = VatCheck.objects.create(
        reseller=reseller, vat_id=vat_id, status=VatCheck.Status.VALID, attempts=1
    )
    reseller.vat_id = vat_id
    reseller.vat_check = check
    reseller.save(update_fields=["vat_id", "vat_check"])


def german_reseller(**kwargs):
    return ResellerFactory(country="DE", currency="EUR", **kwargs)


def polish_vies_reseller(**kwargs):
    reseller = ResellerFactory(country="PL", currency="EUR", language="pl", **kwargs)
    vies_confirm(reseller, "PL5260250995")
    return reseller
