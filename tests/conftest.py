"""Shared fixtures: which database and broker a run uses, and a two-tenant world."""

from __future__ import annotations

import shutil

import pytest
from celery._state import _set_task_join_will_block
from django.conf import settings
from django.db import connection
from django.utils import translation

from ledger.verify import ledger_verify
from tests.services import require_or_skip
from tests.world import World, build_world


def _uses_database(request) -> str | None:
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in names or "live_server" in names:
        return "transactional_db"
    if marker is not None and marker.kwargs.get("transaction"):
        return "transactional_db"
    if "db" in names or marker is not None:
        return "db"
    return None


def _assert_clean(when: str) -> None:
    report = ledger_verify()
    broken = {rule: rows for rule, rows in report.violations.items() if rows}
    assert not broken, f"ledger_verify {when}: {broken}"


@pytest.fixture(autouse=True)
def _ledger_stays_clean(request):
    """After every test that used the database, before its data is rolled back or flushed,
    the ledger must still pass every rule of ledger_verify."""
    database = _uses_database(request)
    if database is None or request.node.get_closest_marker("ledger_broken_on_purpose"):
        yield
        return
    _DATABASE_USED.append(True)
    request.getfixturevalue(database)
    yield
    _assert_clean(f"after {request.node.nodeid}")


@pytest.fixture(autouse=True)
def _language_reset():
    """A page activates its person's language for the thread (customers.middleware) and
    nothing deactivates it: start every test in English, as a new request would."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _celery_join_flag_reset():
    """Celery's eager `Task.apply` sets and restores a process-wide "joining would block" flag;
    tests that run eager tasks from several threads at once (the concurrent recharges) can
    leave it set, and every later `.delay().get()` would then refuse to run. Reset it."""
    yield
    _set_task_join_will_block(False)


# Whether any test of the run used the database (else there is no test database to check).
_DATABASE_USED: list[bool] = []


@pytest.fixture(scope="session", autouse=True)
def _ledger_clean_at_the_end(django_db_setup, django_db_blocker):
    yield
    if not _DATABASE_USED:
        return
    with django_db_blocker.unblock():
        _assert_clean("at the end of the test session")


def pytest_sessionstart(session):
    """Compile the translation catalogues (locale/*.po → .mo, which git ignores) so tests see
    the same languages `make run` serves. Needs GNU gettext's msgfmt (.ci/run installs it);
    without it the tests marked `catalogues` skip (or fail, where services are required)."""
    if shutil.which("msgfmt") is None:
        return
    from django.core.management import call_command

    call_command("compilemessages", ignore_patterns=[".venv"], verbosity=0)


def pytest_report_header(config):
    missing = "fail" if settings.TEST_REQUIRE_SERVICES else "skip"
    redis = "reachable" if settings.TEST_REDIS_AVAILABLE else f"NOT reachable (tests {missing})"
    required = (
        "required: a test that needs a missing one fails"
        if settings.TEST_REQUIRE_SERVICES
        else "optional: a test that needs a missing one skips (CI=true requires them)"
    )
    return [
        f"tessera database: {settings.TEST_DATABASE_SOURCE}",
        f"tessera redis: {settings.TEST_REDIS_URL} {redis}",
        f"tessera services: {required}",
    ]


def pytest_terminal_summary(terminalreporter):
    if connection.vendor != "postgresql":
        outcome = "failed" if settings.TEST_REQUIRE_SERVICES else "skipped"
        terminalreporter.write_line(
            f"NOTE: this run used {settings.TEST_DATABASE_SOURCE}; "
            f"PostgreSQL-only tests {outcome}.",
            yellow=True,
        )


def pytest_runtest_setup(item):
    """Tests marked for a service skip without it, or fail where services are required."""
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        require_or_skip(f"needs PostgreSQL; this run uses {settings.TEST_DATABASE_SOURCE}")
    if item.get_closest_marker("redis") and not settings.TEST_REDIS_AVAILABLE:
        require_or_skip(f"needs Redis: nothing answers at {settings.TEST_REDIS_URL}")
    if item.get_closest_marker("catalogues") and shutil.which("msgfmt") is None:
        require_or_skip("needs GNU gettext's msgfmt to compile locale/ (apt-get install gettext)")


@pytest.fixture
def world(db) -> World:
    """Two approved tenants, A and B, each with an Admin, a User, an Accountant, a customer
    who can sign in and a sub-reseller; operator staff with and without MFA."""
    return build_world()


@pytest.fixture
def fake_vies(settings):
    """The fake VIES server on loopback; settings.VIES_URL points at it."""
    from tests.fakes.vies import FakeVies

    fake = FakeVies().start()
    settings.VIES_URL = fake.url
    settings.VIES_TIMEOUT = 1.0
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def _stripe_fake_server():
    """One loopback server for the run, serving whichever FakeStripe the current test made."""
    from payments.fakes.server import serve

    current = {}

    def app(environ, start_response):
        return current["fake"](environ, start_response)

    running = serve({"stripe": app})
    yield running, current
    running.stop()


@pytest.fixture
def stripe_at_the_fake(_stripe_fake_server, settings):
    """The portal's Stripe settings pointed at a fresh FakeStripe on loopback (the real SDK
    over real HTTP): the pages that call Stripe (a staff refund) work in the page walks."""
    from payments.fakes.stripe import FakeStripe

    running, current = _stripe_fake_server
    fake = current["fake"] = FakeStripe()
    settings.STRIPE_SECRET_KEY = fake.secret_key
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_API_BASE = f"{running.base_url}/stripe"
    return fake
