"""A reseller's own hostname: requested, checked in DNS, activated against the fee, removed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEvent
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import account_balance, operator_balance
from ledger.verify import ledger_verify
from resellers.models import ResellerHostname
from resellers.services import hostnames
from tests.resellers.fake_dns import LOOKUPS, fake_dns  # noqa: F401 (fixture)
from tests.world import fund

pytestmark = pytest.mark.django_db

COLOURS = {"header_colour": "#0b5345", "background_colour": "#fdfefe", "text_colour": "#17202a"}


# --- Hostname: request --------------------------------------------------------------------------


def _request(world, name="portal.acme.test", tenant=None):
    tenant = tenant or world.a
    return hostnames.hostname_request(reseller=tenant.reseller, actor=tenant.admin, hostname=name)


def test_a_hostname_request_is_stored_normalized_and_audited(world):
    record = _request(world, " Portal.ACME.test. ")
    assert (record.hostname, record.status) == ("portal.acme.test", "pending")
    event = AuditEvent.objects.get(action="hostname.requested")
    assert event.data == {"hostname": "portal.acme.test", "previous": ""}


def test_a_bad_hostname_is_refused(world):
    with pytest.raises(ValidationError, match="not an IP address"):
        _request(world, "203.0.113.10")
    assert not ResellerHostname.objects.exists()


def test_a_hostname_taken_by_another_reseller_is_refused(world):
    _request(world, "portal.acme.test", tenant=world.b)
    with pytest.raises(hostnames.HostnameTaken, match="already used by another reseller"):
        _request(world, "PORTAL.acme.test")
    assert not ResellerHostname.objects.filter(reseller=world.a.reseller).exists()


def test_a_pending_hostname_can_be_changed_but_an_active_one_not(world, fake_dns):  # noqa: F811
    _request(world, "old.acme.test")
    record = _request(world, "new.acme.test")
    assert ResellerHostname.objects.get(reseller=world.a.reseller).hostname == "new.acme.test"
    fake_dns["new.acme.test"] = ["203.0.113.10"]
    hostnames.hostname_check_dns(reseller=world.a.reseller, actor=world.a.admin)
    hostnames.hostname_activate(reseller=world.a.reseller, actor=world.a.admin)
    with pytest.raises(hostnames.HostnameError, match="Remove it before"):
        _request(world, "other.acme.test")
    record.refresh_from_db()
    assert (record.hostname, record.status) == ("new.acme.test", "active")


# --- Hostname: DNS check ------------------------------------------------------------------------


def _check(world):
    return hostnames.hostname_check_dns(reseller=world.a.reseller, actor=world.a.admin)


def test_dns_pointing_to_the_portal_verifies(world, fake_dns):  # noqa: F811
    _request(world)
    fake_dns["portal.acme.test"] = ["203.0.113.11", "203.0.113.10"]
    check = _check(world)
    assert check.ok and "points to the portal" in check.message
    record = ResellerHostname.objects.get()
    assert record.status == "verified" and record.verified_at is not None
    assert record.last_check_addresses == ["203.0.113.10", "203.0.113.11"]
    assert AuditEvent.objects.filter(action="hostname.dns_checked", data__ok=True).exists()


def test_dns_that_does_not_resolve_stays_pending(world, fake_dns):  # noqa: F811
    _request(world)
    check = _check(world)
    assert not check.ok and "does not resolve yet" in check.message
    assert ResellerHostname.objects.get().status == "pending"
    assert LOOKUPS == ["portal.acme.test"]


def test_dns_pointing_elsewhere_is_refused_and_unverifies(world, fake_dns):  # noqa: F811
    _request(world)
    fake_dns["portal.acme.test"] = ["203.0.113.10"]
    _check(world)
    fake_dns["portal.acme.test"] = ["203.0.113.10", "198.51.100.7"]
    check = _check(world)
    assert not check.ok
    assert "points to 198.51.100.7, which is not the portal (203.0.113.10, 203.0.113.11)" in (
        check.message
    )
    record = ResellerHostname.objects.get()
    assert record.status == "pending" and record.verified_at is None


def test_the_dns_check_refuses_to_run_inside_a_transaction(world, fake_dns):  # noqa: F811
    _request(world)
    with pytest.raises(RuntimeError, match="outside a transaction"), transaction.atomic():
        _check(world)
    assert LOOKUPS == []


def test_the_dns_check_needs_a_hostname(world, fake_dns):  # noqa: F811
    with pytest.raises(hostnames.HostnameError, match="Ask for a host name first"):
        _check(world)


# --- Hostname: activation and its fee -----------------------------------------------------------


def _verified(world, fake_dns):  # noqa: F811
    _request(world)
    fake_dns["portal.acme.test"] = ["203.0.113.10"]
    assert _check(world).ok


def _activate(world):
    return hostnames.hostname_activate(reseller=world.a.reseller, actor=world.a.admin)


def test_activation_charges_the_fee_once(world, fake_dns):  # noqa: F811
    _verified(world, fake_dns)
    before = account_balance(account=world.a.sales_credit)
    revenue = operator_balance(kind=LedgerAccount.Kind.REVENUE, currency="EUR")
    record = _activate(world)
    assert record.status == "active" and record.activated_at is not None
    txn = record.fee_transaction
    assert txn.kind == LedgerTransaction.Kind.FEE and txn.reseller == world.a.reseller
    assert account_balance(account=world.a.sales_credit) == before - Decimal("10.00")
    assert operator_balance(kind=LedgerAccount.Kind.REVENUE, currency="EUR") == revenue + 10
    again = _activate(world)
    assert again.fee_transaction_id == txn.pk
    assert account_balance(account=world.a.sales_credit) == before - Decimal("10.00")
    assert LedgerTransaction.objects.filter(kind="fee").count() == 1
    assert AuditEvent.objects.filter(action="hostname.activated").count() == 1
    assert ledger_verify().clean


def test_the_fee_is_a_setting_in_the_resellers_currency(world, fake_dns, settings):  # noqa: F811
    settings.HOSTNAME_FEE = Decimal("25.50")
    world.a.reseller.currency = "PLN"
    world.a.reseller.save()
    fund(world.a.reseller)
    _verified(world, fake_dns)
    txn = _activate(world).fee_transaction
    assert txn.currency == "PLN"
    assert {e.amount for e in txn.entries.all()} == {Decimal("-25.50"), Decimal("25.50")}


def test_not_enough_sales_credit_changes_nothing(world, fake_dns, settings):  # noqa: F811
    settings.HOSTNAME_FEE = Decimal("100.01")
    _verified(world, fake_dns)
    with pytest.raises(hostnames.HostnameError) as caught:
        _activate(world)
    assert str(caught.value) == (
        "Not enough sales credit for the hostname fee: €100.01 needed, "
        "€100.00 available. Add funds first."
    )
    assert ResellerHostname.objects.get().status == "verified"
    assert account_balance(account=world.a.sales_credit) == Decimal("100.00")
    assert not LedgerTransaction.objects.filter(kind="fee").exists()
    assert not AuditEvent.objects.filter(action="hostname.activated").exists()


def test_the_refusal_shows_money_in_the_currencys_own_unit(world, fake_dns, settings):  # noqa: F811
    """Amounts go through the money module: JPY has no decimals, thousands are grouped."""
    settings.HOSTNAME_FEE = Decimal("1500")
    world.a.reseller.currency = "JPY"
    world.a.reseller.save()
    _verified(world, fake_dns)
    with pytest.raises(hostnames.HostnameError) as caught:
        _activate(world)
    assert "¥1,500 needed, ¥0 available" in str(caught.value)


def test_an_unverified_hostname_cannot_be_activated(world, fake_dns):  # noqa: F811
    _request(world)
    with pytest.raises(hostnames.HostnameError, match="not verified yet"):
        _activate(world)
    assert not LedgerTransaction.objects.filter(kind="fee").exists()


def test_removing_a_hostname_is_audited_and_frees_the_name(world, fake_dns):  # noqa: F811
    _verified(world, fake_dns)
    _activate(world)
    hostnames.hostname_remove(reseller=world.a.reseller, actor=world.a.admin)
    assert not ResellerHostname.objects.exists()
    event = AuditEvent.objects.get(action="hostname.removed")
    assert event.data == {"hostname": "portal.acme.test", "status": "active"}
    assert _request(world, tenant=world.b).hostname == "portal.acme.test"
    with pytest.raises(hostnames.HostnameError, match="no host name to remove"):
        hostnames.hostname_remove(reseller=world.a.reseller, actor=world.a.admin)
