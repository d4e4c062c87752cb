"""resellers.branding: colours, contrast, logo checks and the theme."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from resellers.branding import (
    colour_normalize,
    contrast_problem,
    contrast_ratio,
    logo_check,
    readable_text,
    readable_text_on,
    theme_for,
)
from tests.resellers.images import big_png, image_upload


@pytest.mark.parametrize(("value", "expected"), [("#1F3A5F", "#1f3a5f"), (" #ffffff ", "#ffffff")])
def test_colours_are_normalized(value, expected):
    assert colour_normalize(value) == expected


@pytest.mark.parametrize(
    "value", ["", "red", "#fff", "#gggggg", "1f3a5f", "#1f3a5f0", "#1f3a5f;color:red", None]
)
def test_bad_colours_are_refused_with_the_expected_form(value):
    with pytest.raises(ValidationError, match="use the form #rrggbb"):
        colour_normalize(value)


@pytest.mark.parametrize(
    ("a", "b", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#000000", 21.0),
        ("#777777", "#777777", 1.0),
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes AA on white
        ("#777777", "#ffffff", 4.48),
        ("#1f3a5f", "#ffffff", 11.48),
    ],
)
def test_contrast_ratio_follows_wcag(a, b, ratio):
    assert contrast_ratio(a, b) == pytest.approx(ratio, abs=0.01)


def test_poor_contrast_is_a_problem_that_says_the_ratio_and_what_to_change():
    assert contrast_problem(background="#ffffff", text="#767676") is None
    problem = contrast_problem(background="#ffffff", text="#777777")
    assert "#777777" in problem and "#ffffff" in problem
    assert "4.48:1" in problem and "4.5:1" in problem
    assert "darker text colour or a lighter background colour" in problem
    # On a dark background the text must get lighter.
    problem = contrast_problem(background="#1f3a5f", text="#333333")
    assert "lighter text colour or a darker background colour" in problem


def _grid():
    """Colours across the whole cube (every channel in 18 steps)."""
    steps = range(0, 256, 15)
    return [f"#{r:02x}{g:02x}{b:02x}" for r in steps for g in steps for b in steps]


def test_header_text_is_always_readable():
    """The header's text (white or black) reaches 4.5:1 on every header colour."""
    worst = min(contrast_ratio(c, readable_text_on(c)) for c in _grid())
    assert worst >= 4.5


@pytest.mark.parametrize(
    ("background", "text", "drawn"),
    [
        ("#f4f6f6", "#17202a", "#17202a"),  # readable: kept
        ("#f4f6f6", "#b2babb", "#212529"),  # grey on grey: the default text colour
        ("#1f3a5f", "#333333", "#ffffff"),  # dark on dark: the default does not read either
    ],
)
def test_the_theme_draws_readable_text_for_branding_saved_before_the_check(background, text, drawn):
    assert readable_text(background=background, text=text) == drawn
    branding = SimpleNamespace(
        display_name="Old",
        logo=None,
        header_colour="#f4d03f",
        background_colour=background,
        text_colour=text,
    )
    theme = theme_for(reseller=SimpleNamespace(name="Acme"), branding=branding)
    assert (theme.background, theme.text) == (background, drawn)
    assert contrast_ratio(theme.background, theme.text) >= 4.5
    assert theme.header_text == "#000000"


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_raster_logos_pass_and_are_stored_by_their_real_format(fmt, ext):
    assert logo_check(image_upload(fmt, name="whatever.gif")) == ext


def test_a_file_that_is_not_an_image_is_refused():
    upload = SimpleUploadedFile("logo.png", b"<html>not an image</html>", content_type="image/png")
    with pytest.raises(ValidationError, match="not an image we can read"):
        logo_check(upload)


def test_svg_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(ValidationError, match="not an image we can read"):
        logo_check(SimpleUploadedFile("logo.svg", svg, content_type="image/svg+xml"))


def test_other_image_formats_are_refused_by_name():
    with pytest.raises(ValidationError, match="PNG, JPEG or WebP image, not GIF"):
        logo_check(image_upload("GIF", name="logo.gif"))


def test_a_truncated_png_is_refused():
    upload = image_upload("PNG")
    data = upload.read()[:60]
    with pytest.raises(ValidationError, match="not an image we can read"):
        logo_check(SimpleUploadedFile("logo.png", data, content_type="image/png"))


def test_too_many_bytes_is_refused(settings):
    with pytest.raises(ValidationError, match=r"it may be at most 512 KB"):
        logo_check(big_png(512 * 1024))


def test_too_many_pixels_is_refused():
    with pytest.raises(ValidationError, match=r"1025×10 pixels; it may be at most 1024×1024"):
        logo_check(image_upload(size=(1025, 10)))
    assert logo_check(image_upload(size=(1024, 1024))) == "png"


def test_the_theme_falls_back_to_the_company_name_and_default_colours():
    reseller = SimpleNamespace(name="Acme Telecom")
    theme = theme_for(reseller=reseller, branding=None)
    assert (theme.display_name, theme.logo_url, theme.header) == ("Acme Telecom", "", "#1f3a5f")
    branding = SimpleNamespace(
        display_name="",
        logo=None,
        header_colour="#ffcc00",
        background_colour="#fafafa",
        text_colour="#222222",
    )
    theme = theme_for(reseller=reseller, branding=branding)
    assert theme.display_name == "Acme Telecom"
    assert (theme.header, theme.header_text) == ("#ffcc00", "#000000")
