"""The EU VIES VAT-number check over its REST API (an outside call: never inside a transaction).

POST settings.VIES_URL with {countryCode, vatNumber, requesterMemberStateCode, requesterNumber};
the answer has `valid`, `name`, `address`, `requestIdentifier` (the consultation number),
`requestDate`, or a `userError` / `errorWrappers` such as MS_UNAVAILABLE. Everything that says
"ask again later" (member state or VIES down, too many requests, timeouts, HTTP 5xx) raises
`ViesUnavailable`; only a clear answer about the number is valid or invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from django.conf import settings

TRANSIENT_ERRORS = frozenset(
    {
        "MS_UNAVAILABLE",
        "MS_MAX_CONCURRENT_REQ",
        "GLOBAL_MAX_CONCURRENT_REQ",
        "SERVICE_UNAVAILABLE",
        "TIMEOUT",
        "SERVER_BUSY",
    }
)
# VIES' placeholder when a member state does not share the name or address.
_HIDDEN = "---"


class ViesUnavailable(Exception):
    """VIES could not answer now; ask again later. Never means the number is invalid."""


@dataclass(frozen=True)
class ViesAnswer:
    valid: bool
    name: str = ""
    address: str = ""
    consultation_number: str = ""
    error: str = ""


def _requester() -> tuple[str, str]:
    vat_id = settings.OPERATOR.get("vat_id", "")
    return vat_id[:2], vat_id[2:]


def vies_check_number(vat_id: str) -> ViesAnswer:
    """Ask VIES about `vat_id` (compact, with its country prefix)."""
    requester_country, requester_number = _requester()
    payload = {
        "countryCode": vat_id[:2],
        "vatNumber": vat_id[2:],
        "requesterMemberStateCode": requester_country,
        "requesterNumber": requester_number,
    }
    try:
        response = requests.post(settings.VIES_URL, json=payload, timeout=settings.VIES_TIMEOUT)
    except requests.RequestException as exc:
        raise ViesUnavailable(exc.__class__.__name__) from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise ViesUnavailable(f"HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise ViesUnavailable("not JSON") from exc
    errors = [str(e.get("error", "")) for e in data.get("errorWrappers") or []]
    if data.get("userError"):
        errors.append(str(data["userError"]))
    transient = [e for e in errors if e in TRANSIENT_ERRORS]
    if transient:
        raise ViesUnavailable(transient[0])
    if response.status_code >= 400 and "valid" not in data:
        raise ViesUnavailable(f"HTTP {response.status_code} {', '.join(errors)}".strip())
    if data.get("valid") is True:
        return ViesAnswer(
            valid=True,
            name=_shown(data.get("name")),
            address=_shown(data.get("address")),
            consultation_number=str(data.get("requestIdentifier") or ""),
        )
    return ViesAnswer(
        valid=False,
        consultation_number=str(data.get("requestIdentifier") or ""),
        error=", ".join(e for e in errors if e and e != "VALID") or "INVALID",
    )


def _shown(value) -> str:
    text = str(value or "").strip()
    return "" if text == _HIDDEN else text
