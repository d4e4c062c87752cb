"""Who sent a request: the client's address as the trusted proxies in front of us saw it."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's IP address. Behind `settings.TRUSTED_PROXY_COUNT` proxies that each append
    the address they saw to X-Forwarded-For, it is the entry that many places from the right
    (the entries further left are whatever the client wrote); with no proxy, or a header with
    fewer entries than proxies, it is the connection's own address. None if that is not an
    IP address. The same rule as allauth's rate limits (ALLAUTH_TRUSTED_PROXY_COUNT)."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",")]
    if count > 0 and len(forwarded) >= count and forwarded[-count]:
        candidate = forwarded[-count]
    else:
        candidate = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
