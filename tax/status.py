"""What a company's VIES check says, in words: the one place every page and table takes it
from (badge colour, label, and a sentence saying what happened and what comes next)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from tax.models import VatCheck
from tax.treatment import EU_COUNTRIES


@dataclass(frozen=True)
class ViesStatus:
    key: str  # valid, invalid, pending, unavailable, not_checked, not_eu, no_vat_id
    label: str
    note: str = ""

    @property
    def css(self) -> str:
        return {"valid": "success", "invalid": "danger"}.get(self.key, "secondary")


def vies_status(*, check: VatCheck | None, vat_id: str, country: str) -> ViesStatus:
    """The state of `vat_id`'s check: `check` is the company's current one (or None)."""
    if not vat_id:
        return ViesStatus("no_vat_id", _("No VAT ID given."))
    if str(country).upper() not in EU_COUNTRIES:
        return ViesStatus("not_eu", _("Not checked"), _("VIES knows EU VAT IDs only."))
    if check is None or check.vat_id != vat_id:
        return ViesStatus(
            "not_checked", _("Not checked"), _("This VAT ID has not been asked at VIES yet.")
        )
    if check.status == VatCheck.Status.VALID:
        return ViesStatus("valid", _("Valid"))
    if check.status == VatCheck.Status.INVALID:
        return ViesStatus(
            "invalid",
            _("Invalid"),
            _("VIES does not know this VAT ID. Check it for typing mistakes."),
        )
    if check.status == VatCheck.Status.UNAVAILABLE:
        facts = {"n": check.attempts, "error": check.error or "?"}
        if check.retry_at:
            when = formats.date_format(timezone.localtime(check.retry_at), "Y-m-d H:i")
            note = ngettext(
                "VIES could not answer (%(error)s, %(n)s attempt); it is asked again "
                "automatically at %(when)s.",
                "VIES could not answer (%(error)s, %(n)s attempts); it is asked again "
                "automatically at %(when)s.",
                check.attempts,
            ) % {**facts, "when": when}
        else:
            note = (
                ngettext(
                    "VIES could not answer (%(error)s, %(n)s attempt); it is not asked again "
                    "automatically: ask again later.",
                    "VIES could not answer (%(error)s, %(n)s attempts); it is not asked again "
                    "automatically: ask again later.",
                    check.attempts,
                )
                % facts
            )
        return ViesStatus("unavailable", _("VIES unavailable"), note)
    return ViesStatus("pending", pgettext("VIES check", "Pending"), _("VIES is being asked."))
