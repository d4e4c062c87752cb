"""Writes on resellers. Each top-level service is atomic and audits in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import InsufficientFunds, OperatorAccount, ledger_post, reseller_account
from resellers import branding as brand
from resellers import hosts
from resellers.models import (
    AdvertisingRequest,
    AuditEvent,
    Branding,
    Reseller,
    ResellerHostname,
)


class ResellerStateError(Exception):
    """The reseller is not in a state that allows the action."""


def audit_record(
    *,
    actor: User | None,
    action: str,
    reseller: Reseller | None = None,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row. Call it inside the transaction of the change it records."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        reseller=reseller,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
    )


def _lock(reseller_id: int) -> Reseller:
    return Reseller.objects.select_for_update().get(pk=reseller_id)


@transaction.atomic(durable=True)
def reseller_suspend(*, reseller_id: int, actor: User, reason: str) -> Reseller:
    """Stop a reseller's users from doing anything until staff reactivate it."""
    reseller = _lock(reseller_id)
    if reseller.status == Reseller.Status.SUSPENDED:
        raise ResellerStateError("already-suspended")
    if reseller.status != Reseller.Status.APPROVED:
        raise ResellerStateError("not-approved")
    previous = reseller.status
    reseller.status = Reseller.Status.SUSPENDED
    reseller.status_reason = reason
    reseller.save(update_fields=["status", "status_reason"])
    audit_record(
        actor=actor,
        action="reseller.suspended",
        reseller=reseller,
        obj=reseller,
        data={"reason": reason, "previous_status": previous},
    )
    return reseller


@transaction.atomic(durable=True)
def reseller_reactivate(*, reseller_id: int, actor: User) -> Reseller:
    """Lift a suspension; the reseller goes back to approved."""
    reseller = _lock(reseller_id)
    if reseller.status != Reseller.Status.SUSPENDED:
        raise ResellerStateError("not-suspended")
    reseller.status = Reseller.Status.APPROVED
    reseller.status_reason = ""
    if reseller.approved_at is None:
        reseller.approved_at = timezone.now()
    reseller.save(update_fields=["status", "status_reason", "approved_at"])
    audit_record(actor=actor, action="reseller.reactivated", reseller=reseller, obj=reseller)
    return reseller


@transaction.atomic(durable=True)
def reseller_create(
    *,
    actor: User | None,
    name: str,
    legal_name: str,
    slug: str,
    country: str,
    contact_email: str,
    currency: str,
    parent: Reseller | None = None,
    status: str = Reseller.Status.APPLIED,
    commission_rate=None,
    **details: str,
) -> Reseller:
    """Create a reseller (operator-created, or a sub-reseller of `parent`)."""
    reseller = Reseller(
        name=name,
        legal_name=legal_name,
        slug=slug,
        country=country,
        contact_email=contact_email,
        currency=parent.currency if parent is not None else currency,
        parent=parent,
        status=status,
        approved_at=timezone.now() if status == Reseller.Status.APPROVED else None,
        **details,
    )
    if commission_rate is not None:
        reseller.commission_rate = commission_rate
    reseller.full_clean()
    reseller.save()
    audit_record(
        actor=actor,
        action="reseller.created",
        reseller=reseller,
        obj=reseller,
        data={"status": status, "parent_id": parent.pk if parent else None},
    )
    return reseller


# --- Branding ---------------------------------------------------------------------------------


@dataclass
class BrandingResult:
    branding: Branding
    changed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@transaction.atomic(durable=True)
def branding_update(
    *,
    reseller: Reseller,
    actor: User,
    display_name: str,
    header_colour: str,
    background_colour: str,
    text_colour: str,
    logo=None,
    remove_logo: bool = False,
) -> BrandingResult:
    """Save a reseller's display name, colours and logo. Bad input raises a ValidationError
    keyed by field and changes nothing; poor contrast is a warning, not an error."""
    errors: dict[str, list] = {}
    colours = {}
    for name, value in (
        ("header_colour", header_colour),
        ("background_colour", background_colour),
        ("text_colour", text_colour),
    ):
        try:
            colours[name] = brand.colour_normalize(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    display_name = (display_name or "").strip()
    if len(display_name) > 60:
        errors["display_name"] = [_("The display name has at most 60 characters.")]
    extension = None
    if logo is not None:
        try:
            extension = brand.logo_check(logo)
        except ValidationError as exc:
            errors["logo"] = exc.messages
    if errors:
        raise ValidationError(errors)

    Reseller.objects.select_for_update().get(pk=reseller.pk)  # one editor at a time
    branding, _created = Branding.objects.get_or_create(reseller=reseller)
    before = {
        "display_name": branding.display_name,
        **{name: getattr(branding, name) for name in colours},
        "logo": branding.logo.name,
    }
    branding.display_name = display_name
    for name, value in colours.items():
        setattr(branding, name, value)
    old_logo = branding.logo.name
    if logo is not None:
        branding.logo.save(f"logo-{uuid.uuid4().hex[:12]}.{extension}", logo, save=False)
    elif remove_logo:
        branding.logo = ""
    branding.save()
    after = {
        "display_name": branding.display_name,
        **{name: getattr(branding, name) for name in colours},
        "logo": branding.logo.name,
    }
    changed = sorted(k for k in after if after[k] != before[k])
    if old_logo and old_logo != branding.logo.name:
        transaction.on_commit(lambda: default_storage.delete(old_logo))
    if changed:
        audit_record(
            actor=actor,
            action="branding.updated",
            reseller=reseller,
            obj=branding,
            data={k: {"from": before[k], "to": after[k]} for k in changed},
        )
    warnings = brand.contrast_warnings(
        background=branding.background_colour, text=branding.text_colour
    )
    return BrandingResult(branding=branding, changed=changed, warnings=warnings)


# --- Own hostname -----------------------------------------------------------------------------


class HostnameError(Exception):
    """A hostname action that cannot be done now; `str()` is a sentence people can read."""


class HostnameTaken(HostnameError):
    pass


@dataclass(frozen=True)
class DnsCheck:
    hostname: ResellerHostname
    ok: bool
    addresses: list[str]
    message: str


def _lock_hostname(reseller: Reseller) -> ResellerHostname | None:
    return ResellerHostname.objects.select_for_update().filter(reseller=reseller).first()


@transaction.atomic(durable=True)
def hostname_request(*, reseller: Reseller, actor: User, hostname: str) -> ResellerHostname:
    """Ask for an own hostname (or change one not yet active). It waits for its DNS check."""
    name = hosts.hostname_normalize(hostname)
    Reseller.objects.select_for_update().get(pk=reseller.pk)  # one request at a time
    current = _lock_hostname(reseller)
    if current is not None and current.status == ResellerHostname.Status.ACTIVE:
        raise HostnameError(
            _("%(name)s is active. Remove it before asking for another host name.")
            % {"name": current.hostname}
        )
    if current is not None and current.hostname == name:
        return current
    taken = _("%(name)s is already used by another reseller.") % {"name": name}
    if ResellerHostname.objects.filter(hostname=name).exclude(reseller=reseller).exists():
        raise HostnameTaken(taken)
    previous = current.hostname if current else ""
    record = current or ResellerHostname(reseller=reseller)
    record.hostname = name
    record.status = ResellerHostname.Status.PENDING
    record.verified_at = None
    record.last_checked_at = None
    record.last_check_addresses = []
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:  # another reseller took it a moment ago
        raise HostnameTaken(taken) from None
    audit_record(
        actor=actor,
        action="hostname.requested",
        reseller=reseller,
        obj=record,
        data={"hostname": name, "previous": previous},
    )
    return record


def _in_transaction() -> bool:
    """Whether a transaction of ours is open (the one a test case wraps around each test does
    not count, the same rule Django applies to durable blocks)."""
    blocks = transaction.get_connection().atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def hostname_check_dns(*, reseller: Reseller, actor: User) -> DnsCheck:
    """Resolve the reseller's hostname (outside any transaction: it is a network call) and
    record whether it points to the portal: verified when every IPv4 address it resolves to
    is one of settings.PORTAL_PUBLIC_IPS."""
    if _in_transaction():
        raise RuntimeError("hostname_check_dns calls DNS: run it outside a transaction")
    record = ResellerHostname.objects.filter(reseller=reseller).first()
    if record is None:
        raise HostnameError(_("Ask for a host name first."))
    if record.status == ResellerHostname.Status.ACTIVE:
        raise HostnameError(_("%(name)s is already active.") % {"name": record.hostname})
    addresses = sorted(set(hosts.resolver()(record.hostname)))
    return _hostname_record_check(
        record_id=record.pk, hostname=record.hostname, addresses=addresses, actor=actor
    )


@transaction.atomic(durable=True)
def _hostname_record_check(
    *, record_id: int, hostname: str, addresses: list[str], actor: User
) -> DnsCheck:
    record = (
        ResellerHostname.objects.select_for_update().select_related("reseller").get(pk=record_id)
    )
    if record.hostname != hostname or record.status == ResellerHostname.Status.ACTIVE:
        raise HostnameError(_("The host name changed during the check; check again."))
    portal = list(settings.PORTAL_PUBLIC_IPS)
    elsewhere = [a for a in addresses if a not in portal]
    ok = bool(addresses) and not elsewhere
    if ok:
        message = _("%(name)s points to the portal. You can activate it now.") % {"name": hostname}
    elif not addresses:
        message = _(
            "%(name)s does not resolve yet. Create the A record below; DNS changes can take a "
            "few hours to arrive."
        ) % {"name": hostname}
    else:
        message = _(
            "%(name)s points to %(found)s, which is not the portal (%(portal)s). Change the A "
            "record so that it points only to the portal."
        ) % {"name": hostname, "found": ", ".join(elsewhere), "portal": ", ".join(portal)}
    now = timezone.now()
    record.last_checked_at = now
    record.last_check_addresses = addresses
    if ok and record.status == ResellerHostname.Status.PENDING:
        record.status, record.verified_at = ResellerHostname.Status.VERIFIED, now
    elif not ok:
        record.status, record.verified_at = ResellerHostname.Status.PENDING, None
    record.save()
    audit_record(
        actor=actor,
        action="hostname.dns_checked",
        reseller=record.reseller,
        obj=record,
        data={"hostname": hostname, "addresses": addresses, "ok": ok},
    )
    return DnsCheck(hostname=record, ok=ok, addresses=addresses, message=message)


def hostname_fee(*, reseller: Reseller) -> Decimal:
    """The one-time fee for an own hostname, in the reseller's currency."""
    return Decimal(settings.HOSTNAME_FEE)


@transaction.atomic(durable=True)
def hostname_activate(*, reseller: Reseller, actor: User) -> ResellerHostname:
    """Activate a DNS-verified hostname and charge the one-time fee from sales credit
    (Dr sales credit / Cr operator revenue). Activating again charges nothing."""
    Reseller.objects.select_for_update().get(pk=reseller.pk)
    record = _lock_hostname(reseller)
    if record is None:
        raise HostnameError(_("Ask for a host name first."))
    if record.status == ResellerHostname.Status.ACTIVE:
        return record
    if record.status != ResellerHostname.Status.VERIFIED:
        raise HostnameError(
            _("%(name)s is not verified yet: check its DNS first.") % {"name": record.hostname}
        )
    fee = hostname_fee(reseller=reseller)
    currency = str(reseller.currency)
    txn = None
    if fee > 0:
        try:
            txn = ledger_post(
                kind=LedgerTransaction.Kind.FEE,
                currency=currency,
                legs=[
                    (
                        reseller_account(reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT),
                        -fee,
                    ),
                    (OperatorAccount(LedgerAccount.Kind.REVENUE), fee),
                ],
                idempotency_key=f"hostname-fee:{record.pk}",
                scope=f"reseller:{reseller.pk}",
                memo=f"Hostname fee: {record.hostname}",
                actor=actor,
                reseller=reseller,
                metadata={"hostname": record.hostname, "hostname_id": record.pk},
            )
        except InsufficientFunds as exc:
            raise HostnameError(
                _(
                    "Not enough sales credit for the hostname fee: %(fee)s %(currency)s needed, "
                    "%(available)s %(currency)s available. Add funds first."
                )
                % {
                    "fee": f"{fee:.2f}",
                    "currency": currency,
                    "available": f"{exc.available:.2f}",
                }
            ) from None
    record.status = ResellerHostname.Status.ACTIVE
    record.activated_at = timezone.now()
    record.fee_transaction = txn
    record.save(update_fields=["status", "activated_at", "fee_transaction"])
    audit_record(
        actor=actor,
        action="hostname.activated",
        reseller=reseller,
        obj=record,
        data={
            "hostname": record.hostname,
            "fee": f"{fee:.2f}",
            "currency": currency,
            "transaction": txn.pk if txn else None,
        },
    )
    return record


@transaction.atomic(durable=True)
def hostname_remove(*, reseller: Reseller, actor: User) -> None:
    """Give up the own hostname (a paid fee is not refunded)."""
    record = _lock_hostname(reseller)
    if record is None:
        raise HostnameError(_("There is no host name to remove."))
    audit_record(
        actor=actor,
        action="hostname.removed",
        reseller=reseller,
        obj=record,
        data={"hostname": record.hostname, "status": record.status},
    )
    record.delete()


# --- Advertising material ---------------------------------------------------------------------


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
            errors["quantity"] = [
                _("Order between %(low)s and %(high)s %(kind)s.")
                % {
                    "low": low,
                    "high": high,
                    "kind": AdvertisingRequest.Kind(kind).label.lower(),
                }
            ]
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


class AdvertisingStateError(Exception):
    """The request cannot move to that status; `str()` says why."""


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
