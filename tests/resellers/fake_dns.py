"""A stand-in for DNS: settings.HOSTNAME_RESOLVER points here in tests, and each test says
what a name resolves to. (DNS goes through the system resolver, so it cannot be served from
a loopback fake server the way HTTP services are.)"""

from __future__ import annotations

import pytest

RECORDS: dict[str, list[str]] = {}
LOOKUPS: list[str] = []


def resolve(hostname: str) -> list[str]:
    LOOKUPS.append(hostname)
    return list(RECORDS.get(hostname, []))


@pytest.fixture
def fake_dns(settings):
    """`fake_dns["portal.acme.test"] = ["203.0.113.10"]` makes that name resolve there."""
    settings.HOSTNAME_RESOLVER = "tests.resellers.fake_dns.resolve"
    settings.PORTAL_PUBLIC_IPS = ["203.0.113.10", "203.0.113.11"]
    RECORDS.clear()
    LOOKUPS.clear()
    yield RECORDS
    RECORDS.clear()
    LOOKUPS.clear()
