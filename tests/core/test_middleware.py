"""core.middleware: Permissions-Policy and no-store for signed-in users; the request size cap,
enforced on Content-Length before anything reads the body."""

import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from resellers.models import Branding
from tests.resellers.images import big_png, image_upload

pytestmark = pytest.mark.django_db

BRANDING = reverse("resellers:branding")
BRANDING_FORM = {
    "display_name": "Acme Mobile",
    "header_colour": "#0b5345",
    "background_colour": "#fdfefe",
    "text_colour": "#17202a",
}


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}


# --- Permissions-Policy and Cache-Control -----------------------------------------------------


def test_a_signed_in_page_is_never_stored_and_refuses_browser_features(world):
    answer = world.client_for("admin").get(reverse("resellers:dashboard"))
    assert answer.status_code == 200
    assert {"no-store", "private"} <= _cache_control(answer)
    policy = answer.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_a_download_of_a_signed_in_user_is_never_stored(world):
    answer = world.client_for("admin").get(reverse("ledger:cashbook-export"), {"_export": "csv"})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert {"no-store", "private"} <= _cache_control(answer)
    assert "camera=()" in answer.headers["Permissions-Policy"]


def test_a_public_page_keeps_its_caching_but_gets_the_permissions_policy(client):
    answer = client.get(reverse("resellers:terms"))
    assert answer.status_code == 200
    assert "no-store" not in _cache_control(answer)
    assert "camera=()" in answer.headers["Permissions-Policy"]


def test_static_files_are_not_marked_no_store_for_a_signed_in_user(world, settings):
    settings.WHITENOISE_USE_FINDERS = True  # whitenoise serves them as in production
    answer = world.client_for("admin").get(settings.STATIC_URL + "css/tessera.css")
    assert answer.status_code == 200
    assert "no-store" not in _cache_control(answer)


# --- The request size cap ---------------------------------------------------------------------


def test_the_cap_is_above_the_largest_upload_and_its_form():
    assert settings.MAX_REQUEST_BYTES >= settings.BRANDING_LOGO_MAX_BYTES + 64 * 1024


def test_an_upload_under_the_cap_reaches_the_form(world):
    # Over the logo's own limit but under the request cap: the form says why.
    answer = world.client_for("admin").post(
        BRANDING, {**BRANDING_FORM, "logo": big_png(settings.BRANDING_LOGO_MAX_BYTES)}
    )
    assert answer.status_code == 200
    assert "it may be at most 512 KB" in answer.content.decode()


def test_an_oversize_post_is_refused_with_413_and_nothing_is_saved(world):
    client = world.client_for("admin")
    upload = image_upload()
    upload.file.write(b"\0" * (settings.MAX_REQUEST_BYTES + 1))  # a real body over the cap
    upload.file.seek(0)
    answer = client.post(BRANDING, {**BRANDING_FORM, "logo": upload})
    assert answer.status_code == 413
    text = answer.content.decode()
    assert "The request is too large" in text and "at most 1.0\xa0MB" in text
    assert not Branding.objects.exists()
    assert "camera=()" in answer.headers["Permissions-Policy"]


def test_the_cap_is_read_from_the_settings(world, settings):
    settings.MAX_REQUEST_BYTES = 100
    answer = world.client_for("admin").post(BRANDING, BRANDING_FORM)
    assert answer.status_code == 413


def test_a_chunked_body_without_length_is_refused(world):
    answer = world.client_for("admin").generic(
        "POST",
        BRANDING,
        b"",
        content_type="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert answer.status_code == 411
    assert "without a length" in answer.content.decode()


def test_a_length_that_is_no_number_is_refused(world):
    answer = world.client_for("admin").generic(
        "POST", BRANDING, b"", content_type="text/plain", CONTENT_LENGTH="lots"
    )
    assert answer.status_code == 400


def test_the_answer_comes_before_the_body_is_sent(live_server):
    """A raw HTTP request announces 50 MB and sends a few bytes: the 413 arrives while the
    body is still missing, so nothing waited for (or read) the body. The CSRF cookie makes
    Django's CSRF check read request.POST if the request got that far (it would wait)."""
    parts = urlsplit(live_server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            (
                f"POST {reverse('account_login')} HTTP/1.1\r\n"
                f"Host: {parts.hostname}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Cookie: csrftoken={'a' * 32}\r\n"
                "Content-Length: 50000000\r\n\r\n"
                "login=someone%40example.test&password="
            ).encode()
        )
        sock.settimeout(5)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
