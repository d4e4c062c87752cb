"""resellers.branding: colours, contrast, logo checks and the theme."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from resellers.branding import (
    colour_normalize,
    contrast_ratio,
    contrast_warnings,
    logo_check,
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


def test_poor_contrast_is_a_warning_with_the_ratio():
    assert contrast_warnings(background="#ffffff", text="#767676") == []
    [warning] = contrast_warnings(background="#ffffff", text="#777777")
    assert "4.48:1" in warning and "4.5:1" in warning


@pytest.mark.parametrize("colour", ["#000000", "#ffffff", "#1f3a5f", "#ffcc00", "#777777"])
def test_header_text_is_always_readable(colour):
    assert contrast_ratio(colour, readable_text_on(colour)) >= 4.5


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
