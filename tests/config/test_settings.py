"""Settings from the environment: the embedded default, production's deploy check, and the
test settings' database fallback."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'],"
    " 'name': str(settings.DATABASES['default']['NAME']),"
    " 'eager': settings.CELERY_TASK_ALWAYS_EAGER, 'broker': settings.CELERY_BROKER_URL,"
    " 'transport': settings.CELERY_BROKER_TRANSPORT, 'libpq': settings.LEDGER_POST_LIBPQ,"
    " 'debug': settings.DEBUG, 'country': settings.OPERATOR['country'],"
    " 'vat': str(settings.OPERATOR['vat_rate'])}))"
)


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(extra)
    return env


def _probe(**env) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_embedded_default_is_sqlite_with_eager_tasks():
    got = _probe(DJANGO_SETTINGS_MODULE="config.settings.local")
    assert got["engine"] == "django.db.backends.sqlite3"
    assert got["name"].endswith("db.sqlite3")
    assert got["eager"] is True and got["broker"] is None and got["transport"] is None
    assert (got["country"], got["vat"]) == ("DE", "19.00")


def test_database_and_broker_come_from_the_environment():
    got = _probe(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL="postgres://u:p@db.internal:5432/tessera",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
        OPERATOR_COUNTRY="AT",
        OPERATOR_VAT_RATE="20.00",
    )
    assert got["engine"] == "django.db.backends.postgresql"
    assert got["name"] == "tessera"
    assert got["eager"] is False and got["broker"] == "redis://cache.internal:6379/0"
    assert got["transport"] == "config.broker:Transport"
    assert (got["country"], got["vat"]) == ("AT", "20.00")


def test_another_broker_keeps_kombus_own_transport():
    got = _probe(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        CELERY_BROKER_URL="amqp://guest:guest@mq.internal:5672//",
    )
    assert got["broker"] == "amqp://guest:guest@mq.internal:5672//"
    assert got["transport"] is None


def test_production_posts_through_libpq_and_development_through_a_cursor():
    """bench-ledger's goal is met with the libpq call (README, Benchmarks); the default is the
    documented cursor. The environment decides either way."""
    assert _probe(DJANGO_SETTINGS_MODULE="config.settings.local")["libpq"] is False
    production = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "k" * 50,
        "ALLOWED_HOSTS": "portal.example.com",
        "DATABASE_URL": "postgres://u:p@db.internal:5432/tessera",
    }
    assert _probe(**production)["libpq"] is True
    assert _probe(**production, LEDGER_POST_LIBPQ="false")["libpq"] is False


def test_production_check_deploy_prints_no_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_clean_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY="k" * 20 + "-production-test-secret-with-enough-entropy-9f8e7d6c5b4a",
            ALLOWED_HOSTS="portal.example.com",
            DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        ),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_clean_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            ALLOWED_HOSTS="portal.example.com",
            DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        ),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_production_static_files_collect_with_hashed_names(tmp_path):
    """whitenoise's manifest storage fails on a missing file referenced by CSS or JS."""
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=_clean_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY="collectstatic-test-secret-key-with-enough-length-0123456789",
            ALLOWED_HOSTS="portal.example.com",
            DATABASE_URL=f"sqlite:///{tmp_path / 'static.sqlite3'}",
            STATIC_ROOT=str(tmp_path / "static"),
        ),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()


def _test_settings(monkeypatch, **env) -> ModuleType:
    """config/settings/test.py run afresh with `env`, PostgreSQL on 127.0.0.1:5432 refusing."""
    for name in ("DATABASE_URL", "TESSERA_TEST_SQLITE", "CI", "TESSERA_REQUIRE_SERVICES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    connect = socket.create_connection

    def postgres_refuses(address, *args, **kwargs):
        if tuple(address) == ("127.0.0.1", 5432):
            raise ConnectionRefusedError("PostgreSQL is down in this test")
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", postgres_refuses)
    spec = importlib.util.find_spec("config.settings.test")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_test_settings_fall_back_to_sqlite_and_say_so(monkeypatch):
    module = _test_settings(monkeypatch)
    assert module.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert module.TEST_DATABASE_SOURCE.startswith("SQLite FALLBACK")
    assert module.TEST_REQUIRE_SERVICES is False


@pytest.mark.parametrize("env", [{"CI": "true"}, {"TESSERA_REQUIRE_SERVICES": "1"}], ids=str)
def test_test_settings_refuse_the_sqlite_fallback_where_services_are_required(monkeypatch, env):
    with pytest.raises(ImproperlyConfigured, match="do not fall back to SQLite"):
        _test_settings(monkeypatch, **env)


def test_test_settings_take_sqlite_when_asked_even_where_services_are_required(monkeypatch):
    """Asked for by name, SQLite is no silent fallback: the PostgreSQL tests then fail."""
    module = _test_settings(monkeypatch, CI="true", TESSERA_TEST_SQLITE="1")
    assert module.TEST_DATABASE_SOURCE == "SQLite, as asked by TESSERA_TEST_SQLITE=1"
    assert module.TEST_REQUIRE_SERVICES is True


def test_test_settings_probe_the_redis_of_test_redis_url(monkeypatch):
    module = _test_settings(monkeypatch, TEST_REDIS_URL="redis://127.0.0.1:9/0")
    assert module.TEST_REDIS_AVAILABLE is False


def test_production_degrades_a_redis_cache_instead_of_failing_requests():
    """CACHE_URL=redis://... is core.cache.DegradingRedisCache (issue 11, point 6)."""
    probe = (
        "import django; from django.conf import settings; django.setup();"
        "print(settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE)"
    )
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="portal.example.com",
        DATABASE_URL="postgres://u:p@db.internal:5432/tessera",
        CACHE_URL="redis://cache.internal:6379/1",
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [
        "core.cache.DegradingRedisCache",
        "django.contrib.sessions.backends.cached_db",
    ]


def test_production_counts_the_client_behind_one_proxy_and_sends_the_headers():
    """allauth's rate limits and core.net read the client one proxy deep in production; the
    CSP, Permissions-Policy and size-cap middleware are installed."""
    probe = (
        "import json, django; from django.conf import settings; django.setup();"
        "print(json.dumps([settings.TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_PROXY_COUNT,"
        " settings.MIDDLEWARE, [str(v) for v in"
        " settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src']]]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=_clean_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY="k" * 50,
            ALLOWED_HOSTS="portal.example.com",
            DATABASE_URL="postgres://u:p@db.internal:5432/tessera",
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    proxies, allauth_proxies, middleware, script_src = json.loads(out.stdout.splitlines()[-1])
    assert proxies == allauth_proxies == 1
    for name in (
        "csp.middleware.CSPMiddleware",
        "core.middleware.SecurityHeadersMiddleware",
        "core.middleware.RequestSizeLimitMiddleware",
    ):
        assert name in middleware
    assert script_src == ["'self'", "csp.constants.NONCE"]
