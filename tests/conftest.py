"""Shared fixtures: which database and broker a run uses, and a two-tenant world."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from tests.world import World, build_world


def pytest_report_header(config):
    redis = "reachable" if settings.TEST_REDIS_AVAILABLE else "NOT reachable (redis tests skip)"
    return [
        f"tessera database: {settings.TEST_DATABASE_SOURCE}",
        f"tessera redis: {settings.TEST_REDIS_URL} {redis}",
    ]


def pytest_terminal_summary(terminalreporter):
    if connection.vendor != "postgresql":
        terminalreporter.write_line(
            f"NOTE: this run used {settings.TEST_DATABASE_SOURCE}; PostgreSQL-only tests skipped.",
            yellow=True,
        )


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: it is not reachable on 127.0.0.1:5432, this run uses SQLite")
    if item.get_closest_marker("redis") and not settings.TEST_REDIS_AVAILABLE:
        pytest.skip("needs Redis: nothing answers on 127.0.0.1:6379")


@pytest.fixture
def world(db) -> World:
    """Two approved tenants, A and B, each with an Admin, a User, an Accountant, a customer
    who can sign in and a sub-reseller; operator staff with and without MFA."""
    return build_world()
