"""The client's address behind trusted proxies (terms evidence, rate limits)."""

import pytest
from django.test import RequestFactory

from core.net import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "", "203.0.113.7", "203.0.113.7"),
        (0, "198.51.100.1", "203.0.113.7", "203.0.113.7"),  # no proxy: the header is the client's
        (1, "198.51.100.1", "10.0.0.2", "198.51.100.1"),  # the proxy appended the client
        (1, "6.6.6.6, 198.51.100.1", "10.0.0.2", "198.51.100.1"),  # a forged entry on the left
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.9", "10.0.0.2", "198.51.100.1"),
        (1, "", "10.0.0.2", "10.0.0.2"),  # nothing forwarded: the connection's address
        (1, "not-an-address", "10.0.0.2", None),
        (1, "2001:db8::1", "10.0.0.2", "2001:db8::1"),
    ],
)
def test_the_client_is_the_entry_the_nearest_trusted_proxy_wrote(
    settings, proxies, forwarded, remote, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    assert client_ip(request) == expected
