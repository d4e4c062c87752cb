"""Branding and hostname services: validation, audit, DNS check, the fee through the ledger."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction

from audit.models import AuditEvent
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import account_balance, operator_balance
from ledger.verify import ledger_verify
from resellers.branding import reseller_display_name
from resellers.models import Branding, ResellerHostname
from resellers.services import branding, hostnames
from tests.resellers.fake_dns import LOOKUPS, fake_dns  # noqa: F401 (fixture)
from tests.resellers.images import image_upload
from tests.world import fund

pytestmark = pytest.mark.django_db

COLOURS = {"header_colour": "#0b5345", "background_colour": "#fdfefe", "text_colour": "#17202a"}


def _update(world, **overrides):
    values = {"display_name": "Acme Mobile", **COLOURS, **overrides}
    return branding.branding_update(reseller=world.a.reseller, actor=world.a.admin, **values)


# --- Branding -----------------------------------------------------------------------------------


def test_branding_is_saved_with_a_logo_and_audited(world):
    result = _update(world, header_colour="#0B5345", logo=image_upload("JPEG", name="x.exe"))
    branding = Branding.objects.get(reseller=world.a.reseller)
    assert branding.header_colour == "#0b5345" and branding.display_name == "Acme Mobile"
    assert branding.logo.name.startswith(f"branding/{world.a.reseller.pk}/logo-")
    assert branding.logo.name.endswith(".jpg") and default_storage.exists(branding.logo.name)
    assert result.warnings == [] and "logo" in result.changed
    event = AuditEvent.objects.get(action="branding.updated")
    assert event.reseller == world.a.reseller and event.actor == world.a.admin
    assert event.data["header_colour"] == {"from": "#1f3a5f", "to": "#0b5345"}


def test_saving_the_same_values_changes_nothing_and_audits_nothing(world):
    _update(world)
    result = _update(world)
    assert result.changed == []
    assert AuditEvent.objects.filter(action="branding.updated").count() == 1


def test_a_new_logo_replaces_the_old_file_and_remove_drops_it(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _update(world, logo=image_upload()).branding.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        second = _update(world, logo=image_upload("WEBP")).branding.logo.name
    assert second != first and not default_storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        result = _update(world, remove_logo=True)
    assert not result.branding.logo and not default_storage.exists(second)


def test_poor_contrast_saves_with_a_warning(world):
    result = _update(world, background_colour="#ffffff", text_colour="#aaaaaa")
    assert result.branding.text_colour == "#aaaaaa"
    assert len(result.warnings) == 1 and "2.32:1" in result.warnings[0]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"header_colour": "navy"}, "header_colour", "use the form #rrggbb"),
        ({"background_colour": "#fff"}, "background_colour", "use the form #rrggbb"),
        ({"text_colour": ""}, "text_colour", "use the form #rrggbb"),
        ({"display_name": "x" * 61}, "display_name", "at most 60 characters"),
        ({"logo": image_upload("GIF")}, "logo", "not GIF"),
        ({"logo": image_upload(size=(2000, 100))}, "logo", "at most 1024×1024"),
    ],
)
def test_bad_branding_input_changes_nothing(world, overrides, field, message):
    _update(world)
    with pytest.raises(ValidationError) as caught:
        _update(world, **{"display_name": "Changed", **overrides})
    assert message in " ".join(caught.value.message_dict[field])
    branding = Branding.objects.get(reseller=world.a.reseller)
    assert branding.display_name == "Acme Mobile" and branding.header_colour == "#0b5345"
    assert not branding.logo
    assert AuditEvent.objects.filter(action="branding.updated").count() == 1


def test_reseller_display_name_prefers_the_branding(world):
    assert reseller_display_name(reseller=world.a.reseller) == "Tenant A"
    _update(world, display_name="")
    assert reseller_display_name(reseller=world.a.reseller) == "Tenant A"
    _update(world, display_name="Acme Mobile")
    assert reseller_display_name(reseller=world.a.reseller) == "Acme Mobile"
    assert reseller_display_name(reseller=world.b.reseller) == "Tenant B"


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
        "Not enough sales credit for the hostname fee: 100.01 EUR needed, "
        "100.00 EUR available. Add funds first."
    )
    assert ResellerHostname.objects.get().status == "verified"
    assert account_balance(account=world.a.sales_credit) == Decimal("100.00")
    assert not LedgerTransaction.objects.filter(kind="fee").exists()
    assert not AuditEvent.objects.filter(action="hostname.activated").exists()


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
