"""Branding: colours and their contrast, logo checks, and the theme a page is drawn in.

Text on the background must reach WCAG AA (4.5:1): a colour pair below it is refused when
saved, and a pair saved before that rule is drawn with a readable text colour instead; the
header's text is always white or black, whichever reads on the header colour.
Logos are raster images only (PNG, JPEG or WebP): SVG can carry scripts, so it is refused.
A logo is at most settings.BRANDING_LOGO_MAX_BYTES and BRANDING_LOGO_MAX_SIDE pixels a side.
Pages on an active reseller hostname are drawn with that reseller's theme (`branding`, a
context processor read by templates/base.html); everywhere else the theme is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from resellers.models import Branding

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# WCAG 2 AA for normal text.
MIN_CONTRAST = 4.5
# Pillow's format name -> the file extension we store it under.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
DEFAULT_COLOURS = {"header": "#1f3a5f", "background": "#ffffff", "text": "#212529"}


def colour_normalize(value: str) -> str:
    """A colour as #rrggbb in lower case, or a ValidationError."""
    value = (value or "").strip()
    if not COLOUR.match(value):
        raise ValidationError(
            _("“%(value)s” is not a colour: use the form #rrggbb, e.g. #1f3a5f.")
            % {"value": value[:20]},
            code="bad-colour",
        )
    return value.lower()


def _relative_luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours, from 1 (same) to 21 (black on white)."""
    a, b = sorted((_relative_luminance(first), _relative_luminance(second)), reverse=True)
    return round((a + 0.05) / (b + 0.05), 2)


def readable_text_on(colour: str) -> str:
    """White or black, whichever reads better on `colour` (always at least 4.5:1)."""
    white, dark = "#ffffff", "#000000"
    return white if contrast_ratio(colour, white) >= contrast_ratio(colour, dark) else dark


def contrast_problem(*, background: str, text: str) -> str | None:
    """Why text in `text` on `background` is too hard to read (below MIN_CONTRAST), saying the
    ratio and which way to move the colours; None when it reads well."""
    ratio = contrast_ratio(background, text)
    if ratio >= MIN_CONTRAST:
        return None
    values = {"ratio": number_format(ratio, 2), "text": text, "background": background}
    # On a background that dark text reads on, the text must get darker; else lighter.
    if readable_text_on(background) == "#000000":
        return (
            _(
                "The text colour %(text)s on the background colour %(background)s has a "
                "contrast of only %(ratio)s:1; at least 4.5:1 is needed so that everyone can "
                "read your pages. Choose a darker text colour or a lighter background colour."
            )
            % values
        )
    return (
        _(
            "The text colour %(text)s on the background colour %(background)s has a contrast "
            "of only %(ratio)s:1; at least 4.5:1 is needed so that everyone can read your "
            "pages. Choose a lighter text colour or a darker background colour."
        )
        % values
    )


def readable_on(colour: str, background: str) -> str:
    """`colour`, darkened (or lightened, on a dark background) just enough to reach
    MIN_CONTRAST on `background`: Bootstrap's link and button colours are meant for white."""
    target = 0 if readable_text_on(background) == "#000000" else 255
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    candidate = colour
    for step in range(21):
        mixed = [round(c + (target - c) * step / 20) for c in channels]
        candidate = "#" + "".join(f"{c:02x}" for c in mixed)
        if contrast_ratio(candidate, background) >= MIN_CONTRAST:
            break
    return candidate


# Bootstrap's colours that pages use for text (links, outline buttons, secondary text).
ACCENTS = {"primary": "#0d6efd", "secondary": "#6c757d", "danger": "#dc3545", "success": "#198754"}


def readable_text(*, background: str, text: str) -> str:
    """`text` when it reads on `background`; else the default text colour, or white or black,
    whichever reads. Branding saved before contrast was enforced is drawn with this."""
    if contrast_ratio(background, text) >= MIN_CONTRAST:
        return text
    if contrast_ratio(background, DEFAULT_COLOURS["text"]) >= MIN_CONTRAST:
        return DEFAULT_COLOURS["text"]
    return readable_text_on(background)


def logo_check(upload) -> str:
    """Check an uploaded logo; return the extension to store it under, or raise a
    ValidationError that says what is wrong."""
    limit = settings.BRANDING_LOGO_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The logo is %(size)s KB; it may be at most %(limit)s KB.")
            % {"size": (upload.size + 1023) // 1024, "limit": limit // 1024},
            code="too-big",
        )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not an image we can read. Upload a PNG, JPEG or WebP picture."),
            code="not-an-image",
        ) from None
    finally:
        upload.seek(0)
    if image_format not in LOGO_FORMATS:
        raise ValidationError(
            _("A logo must be a PNG, JPEG or WebP image, not %(format)s.")
            % {"format": image_format},
            code="bad-format",
        )
    side = settings.BRANDING_LOGO_MAX_SIDE
    if width > side or height > side:
        raise ValidationError(
            _("The logo is %(width)s×%(height)s pixels; it may be at most %(side)s×%(side)s.")
            % {"width": width, "height": height, "side": side},
            code="too-large",
        )
    return LOGO_FORMATS[image_format]


@dataclass(frozen=True)
class Theme:
    """What base.html needs to draw a page in a reseller's branding."""

    display_name: str
    logo_url: str
    header: str
    header_text: str
    background: str
    text: str
    # Bootstrap's accent colours made readable on `background` ({"primary": "#0b5ed7", ...}).
    accents: dict[str, str] = field(default_factory=dict)

    @property
    def accents_rgb(self) -> dict[str, str]:
        """The accents as "r, g, b" (Bootstrap's --bs-*-rgb variables)."""
        return {
            name: ", ".join(str(int(value[i : i + 2], 16)) for i in (1, 3, 5))
            for name, value in self.accents.items()
        }


def reseller_display_name(*, reseller) -> str:
    """The name a reseller shows to its customers (page headers, SMS sender): the branding's
    display name, else the reseller's name."""
    name = Branding.objects.filter(reseller=reseller).values_list("display_name", flat=True)
    return next(iter(name), "") or reseller.name


def theme_for(*, reseller, branding) -> Theme:
    """The theme of a reseller; `branding` may be None (defaults, the company name)."""
    header = branding.header_colour if branding else DEFAULT_COLOURS["header"]
    background = branding.background_colour if branding else DEFAULT_COLOURS["background"]
    text = branding.text_colour if branding else DEFAULT_COLOURS["text"]
    return Theme(
        display_name=(branding.display_name if branding else "") or reseller.name,
        logo_url=branding.logo.url if branding and branding.logo else "",
        header=header,
        header_text=readable_text_on(header),
        background=background,
        text=readable_text(background=background, text=text),
        accents={name: readable_on(colour, background) for name, colour in ACCENTS.items()},
    )


def branding(request) -> dict:
    """Context processor: `branding`, the theme of the request's reseller hostname, or None."""
    reseller = getattr(request, "host_reseller", None)
    if reseller is None:
        return {"branding": None}
    return {"branding": theme_for(reseller=reseller, branding=request.host_branding)}
