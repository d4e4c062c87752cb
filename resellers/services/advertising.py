"""Advertising material: a reseller asks, operator staff work through the request."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from core.errors import DomainError
from resellers.models import (
    AdvertisingRequest,
    Reseller,
)

# --- Advertising material ---------------------------------------------------------------------


# One whole sentence per material: the noun's form after a number differs by language.
_QUANTITY_RANGE = {
    AdvertisingRequest.Kind.LEAFLET: lambda: _("Order between %(low)s and %(high)s leaflets."),
    AdvertisingRequest.Kind.POSTER: lambda: _("Order between %(low)s and %(high)s posters."),
}


@transaction.atomic(durable=True)
def advertising_request_create(
    *,
    reseller: Reseller,
    actor: User,
    kind: str,
    quantity: int,
    recipient: str,
    address_line: str,
    postal_code: str,
    city: str,
    country: str,
    note: str = "",
) -> AdvertisingRequest:
    """A reseller asks for leaflets or posters, delivered to an address."""
    errors: dict[str, list] = {}
    if kind not in AdvertisingRequest.Kind.values:
        errors["kind"] = [_("Choose leaflets or posters.")]
    else:
        low, high = AdvertisingRequest.QUANTITY_BOUNDS[AdvertisingRequest.Kind(kind)]
        if quantity is None or not low <= quantity <= high:
            errors["quantity"] = [_QUANTITY_RANGE[kind]() % {"low": low, "high": high}]
    request = AdvertisingRequest(
        reseller=reseller,
        requested_by=actor,
        kind=kind,
        quantity=quantity,
        recipient=(recipient or "").strip(),
        address_line=(address_line or "").strip(),
        postal_code=(postal_code or "").strip(),
        city=(city or "").strip(),
        country=country,
        note=(note or "").strip(),
    )
    try:
        request.full_clean(exclude=["reseller", "requested_by", *errors])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    request.save()
    audit_record(
        actor=actor,
        action="advertising.requested",
        reseller=reseller,
        obj=request,
        data={"kind": kind, "quantity": quantity},
    )
    return request


class AdvertisingStateError(DomainError):
    """The request cannot move to that status; `str()` says why."""

    code = "advertising-state"


@transaction.atomic(durable=True)
def advertising_request_set_status(
    *, request_id: int, actor: User, status: str, note: str = ""
) -> AdvertisingRequest:
    """Staff move a request on: requested → in production → shipped, or rejected (with a
    reason). The reseller sees the new status and note on its pages."""
    request = AdvertisingRequest.objects.select_for_update().get(pk=request_id)
    note = (note or "").strip()
    if status not in AdvertisingRequest.Status.values:
        raise AdvertisingStateError(_("Choose a valid status."))
    if status not in request.next_statuses:
        raise AdvertisingStateError(
            _("A request that is “%(current)s” cannot become “%(new)s”.")
            % {
                "current": request.get_status_display(),
                "new": AdvertisingRequest.Status(status).label,
            }
        )
    if status == AdvertisingRequest.Status.REJECTED and not note:
        raise AdvertisingStateError(_("Give the reseller a reason for the rejection."))
    if len(note) > 300:
        raise AdvertisingStateError(_("The note has at most 300 characters."))
    previous = request.status
    request.status = status
    request.status_note = note
    request.status_changed_at = timezone.now()
    request.save(update_fields=["status", "status_note", "status_changed_at"])
    audit_record(
        actor=actor,
        action="advertising.status_changed",
        reseller=request.reseller,
        obj=request,
        data={"from": previous, "to": status, "note": note},
    )
    return request
