"""Branding and hostname services: validation, audit, DNS check, the fee through the ledger."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from audit.models import AuditEvent
from resellers.branding import reseller_display_name
from resellers.models import Branding
from resellers.services import branding
from tests.resellers.fake_dns import LOOKUPS, fake_dns  # noqa: F401 (fixture)
from tests.resellers.images import image_upload

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
    assert "logo" in result.changed
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


def test_poor_contrast_is_refused_on_the_text_colour_and_changes_nothing(world):
    _update(world)
    with pytest.raises(ValidationError) as caught:
        _update(world, background_colour="#ffffff", text_colour="#aaaaaa")
    [message] = caught.value.message_dict["text_colour"]
    assert "2.32:1" in message and "at least 4.5:1" in message
    assert "Choose a darker text colour or a lighter background colour." in message
    assert Branding.objects.get(reseller=world.a.reseller).text_colour == COLOURS["text_colour"]


def test_contrast_just_above_the_limit_is_saved(world):
    result = _update(world, background_colour="#ffffff", text_colour="#767676")  # 4.54:1
    assert result.branding.text_colour == "#767676"


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
