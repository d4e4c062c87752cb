"""Reseller hostnames: validating a name, resolving it, and accepting requests made on it.

How the portal decides which hosts it answers (the `Host` header):

- `settings.ALLOWED_HOSTS` lists the operator's own hosts, exactly as in any Django project;
- a reseller's hostname is accepted too, but only while it is *active* (DNS verified and the
  one-time fee paid);
- anything else is refused with Django's own 400 (`DisallowedHost`, logged to
  `django.security.DisallowedHost`).

`ResellerHostMiddleware` runs first. A host that matches ALLOWED_HOSTS goes on untouched, with
no query. Any other host costs one indexed query: when it is an active reseller hostname, the
request remembers the reseller (`request.host_reseller`, its branding as
`request.host_branding`) and its `get_host()` is replaced by one that returns this host, so
Django's later checks (CommonMiddleware, CSRF origin checks, absolute URLs) accept it; when
it is not, the middleware raises `DisallowedHost` itself. ALLOWED_HOSTS itself never changes,
so `manage.py check --deploy` and Django's behaviour for the operator's hosts stay as they are.
"""

from __future__ import annotations

import ipaddress
import re
import socket

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http.request import validate_host
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def operator_hosts() -> list[str]:
    """The operator's own host patterns (ALLOWED_HOSTS, with Django's DEBUG default)."""
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def is_operator_host(domain: str) -> bool:
    """Whether `domain` is one of the operator's hosts (a catch-all "*" does not count)."""
    return validate_host(domain, [h for h in operator_hosts() if h != "*"])


def hostname_normalize(value: str) -> str:
    """A reseller's hostname as we store it (lower-case ASCII, no trailing dot), or a
    ValidationError saying what is wrong with it."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Enter a host name, e.g. portal.example.com."), code="required")
    if "://" in value or "/" in value or ":" in value or "@" in value or " " in value:
        raise ValidationError(
            _(
                "Enter only the host name, e.g. portal.example.com, without http://, a port "
                "or a path."
            ),
            code="not-a-hostname",
        )
    value = value.rstrip(".")
    if ".." in value or value.startswith("."):
        raise ValidationError(_("A host name cannot contain empty parts (“..”)."), code="empty")
    if value.isascii():
        ascii_name = value.lower()
    else:  # an internationalised name: stored in its ASCII (punycode) form
        try:
            ascii_name = value.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise ValidationError(
                _("“%(value)s” is not a valid host name.") % {"value": value}, code="invalid"
            ) from None
    try:
        ipaddress.ip_address(ascii_name)
    except ValueError:
        pass
    else:
        raise ValidationError(
            _("Enter a host name, not an IP address: the A record is created for a name."),
            code="ip-address",
        )
    if len(ascii_name) > 253:
        raise ValidationError(_("A host name has at most 253 characters."), code="too-long")
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise ValidationError(
            _("Enter a full host name with its domain, e.g. portal.example.com."),
            code="single-label",
        )
    for label in labels:
        if not label:
            raise ValidationError(_("A host name cannot contain empty parts (“..”)."), code="empty")
        if len(label) > 63:
            raise ValidationError(
                _("Each part of a host name has at most 63 characters; “%(label)s” is longer.")
                % {"label": label[:20] + "…"},
                code="label-too-long",
            )
        if not _LABEL.match(label):
            raise ValidationError(
                _(
                    "“%(label)s” is not allowed in a host name: use letters, digits and hyphens, "
                    "not at the start or end of a part."
                )
                % {"label": label},
                code="bad-label",
            )
    if labels[-1].isdigit():
        raise ValidationError(_("The last part of a host name cannot be a number."), code="tld")
    if ascii_name == "localhost" or labels[-1] in ("localhost", "local", "internal", "invalid"):
        raise ValidationError(
            _("Enter a public host name, reachable on the internet."), code="not-public"
        )
    if is_operator_host(ascii_name):
        raise ValidationError(
            _("%(name)s belongs to the portal itself; use a name under your own domain.")
            % {"name": ascii_name},
            code="operator-host",
        )
    return ascii_name


def resolve_ipv4(hostname: str) -> list[str]:
    """The IPv4 addresses `hostname` resolves to (empty when it does not resolve).

    The default of settings.HOSTNAME_RESOLVER; it calls the system resolver, so it never runs
    inside a database transaction (see services.hostname_check_dns)."""
    try:
        infos = socket.getaddrinfo(hostname, None, family=socket.AF_INET, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return sorted({info[4][0] for info in infos})


def resolver():
    """The configured resolver function (settings.HOSTNAME_RESOLVER)."""
    return import_string(settings.HOSTNAME_RESOLVER)
