"""Who sent a request and where the portal lives: the client's address as the trusted proxies in
front of us saw it, and the absolute links the portal sends."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

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


def portal_origin(*, hostname: str | None = None) -> str:
    """The portal's canonical origin (settings.PORTAL_ORIGIN, no trailing slash), or a
    reseller's own active `hostname` over the canonical origin's scheme. Never from a
    request's Host header, which the client writes."""
    origin = settings.PORTAL_ORIGIN.rstrip("/")
    if hostname:
        origin = f"{urlsplit(origin).scheme}://{hostname}"
    return origin


def portal_url(path: str = "/", *, hostname: str | None = None) -> str:
    """An absolute link to `path` on the portal (see `portal_origin`)."""
    return portal_origin(hostname=hostname) + "/" + path.lstrip("/")
