"""A reseller's own hostname: requested, checked in DNS, activated against a one-time fee,
removed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from core.errors import DomainError
from core.money import money_display, to_minor_unit
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import InsufficientFunds, OperatorAccount, ledger_post, reseller_account
from resellers import hosts
from resellers.models import (
    Reseller,
    ResellerHostname,
)

# --- Own hostname -----------------------------------------------------------------------------


class HostnameError(DomainError):
    """A hostname action that cannot be done now; `str()` is a sentence people can read."""

    code = "hostname"
    field = "hostname"


class HostnameTaken(HostnameError):
    code = "hostname-taken"


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


def _outside_transactions() -> None:
    """RuntimeError inside a transaction: a durable block refuses to nest in one (Django's
    documented rule, which leaves out the transaction a test case wraps around each test)."""
    try:
        with transaction.atomic(durable=True):
            pass
    except RuntimeError:
        raise RuntimeError("hostname_check_dns calls DNS: run it outside a transaction") from None


def hostname_check_dns(*, reseller: Reseller, actor: User) -> DnsCheck:
    """Resolve the reseller's hostname (outside any transaction: it is a network call) and
    record whether it points to the portal: verified when every IPv4 address it resolves to
    is one of settings.PORTAL_PUBLIC_IPS."""
    _outside_transactions()
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
                    "Not enough sales credit for the hostname fee: %(fee)s needed, "
                    "%(available)s available. Add funds first."
                )
                % {
                    "fee": money_display(fee, currency),
                    "available": money_display(exc.available, currency),
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
            "fee": str(to_minor_unit(fee, currency)),
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
