"""Test settings: PostgreSQL when it is reachable (CI has it), otherwise SQLite, said clearly.

`tests/conftest.py` prints which database and broker the run uses in pytest's header.
Where the services are required (CI=true, or TESSERA_REQUIRE_SERVICES=1) falling back to
SQLite is an error, and a test that needs a missing service fails instead of skipping
(tests/services.py).
"""

import os
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import env


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return os.path.exists(parts.path)
    return _reachable(parts.hostname or "127.0.0.1", parts.port or 6379)


# CI sets CI=true (and .ci/run does when it is unset); anyone else asks with
# TESSERA_REQUIRE_SERVICES=1. Then PostgreSQL, Redis, chromium and msgfmt must be there.
TEST_REQUIRE_SERVICES = (
    os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
    or os.environ.get("TESSERA_REQUIRE_SERVICES", "").strip() == "1"
)

DEBUG = False
SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PORTAL_ORIGIN = "http://testserver"  # the test client's host: links in mails can be followed

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": env.db("DATABASE_URL")}
    TEST_DATABASE_SOURCE = "DATABASE_URL"
elif os.environ.get("TESSERA_TEST_SQLITE") != "1" and _reachable("127.0.0.1", 5432):
    DATABASES = {"default": env.db_url_config("postgres://postgres@127.0.0.1:5432/tessera")}
    TEST_DATABASE_SOURCE = "PostgreSQL on 127.0.0.1:5432"
elif TEST_REQUIRE_SERVICES and os.environ.get("TESSERA_TEST_SQLITE") != "1":
    raise ImproperlyConfigured(
        "PostgreSQL is not reachable on 127.0.0.1:5432, and with CI=true or "
        "TESSERA_REQUIRE_SERVICES=1 the tests do not fall back to SQLite: start PostgreSQL "
        "or set DATABASE_URL."
    )
else:
    DATABASES = {"default": env.db_url_config(f"sqlite:///{BASE_DIR / 'test.sqlite3'}")}
    TEST_DATABASE_SOURCE = (
        "SQLite, as asked by TESSERA_TEST_SQLITE=1"
        if os.environ.get("TESSERA_TEST_SQLITE") == "1"
        else "SQLite FALLBACK: PostgreSQL is not reachable on 127.0.0.1:5432"
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_REDIS_AVAILABLE = _redis_reachable(TEST_REDIS_URL)

# Unit tests run tasks eagerly; the integration tests start a real worker on Redis.
CELERY_BROKER_URL = None
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
LANGUAGE_CODE = "en"
SMS_BACKEND = "database"
# Tests never ask the real VIES: nothing listens here (refused), tests that need answers start
# the fake (tests/fakes/vies.py, fixture `fake_vies`).
VIES_URL = "http://127.0.0.1:9/vies-is-not-reachable-in-tests"
VIES_TIMEOUT = 1.0
