"""Branding: the reseller's colours, logo and display name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from resellers import branding as brand
from resellers.models import (
    Branding,
    Reseller,
)

# --- Branding ---------------------------------------------------------------------------------


@dataclass
class BrandingResult:
    branding: Branding
    changed: list[str] = field(default_factory=list)


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
    keyed by field and changes nothing; so does text on the background below 4.5:1 (on the
    text colour: the message says the ratio and which way to move the colours)."""
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
    if "background_colour" in colours and "text_colour" in colours:
        problem = brand.contrast_problem(
            background=colours["background_colour"], text=colours["text_colour"]
        )
        if problem:
            errors["text_colour"] = [problem]
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
    return BrandingResult(branding=branding, changed=changed)
