"""Production: PostgreSQL and Redis from the environment, everything hardened.

Required: SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL; PORTAL_ORIGIN unless the first allowed host,
over https, is the portal's address. `manage.py check --deploy` is clean.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# Links in e-mails and SMS are built from it, never from a request's Host header.
PORTAL_ORIGIN = env("PORTAL_ORIGIN", default="").rstrip("/")
if not PORTAL_ORIGIN:
    if ALLOWED_HOSTS[0].startswith(".") or "*" in ALLOWED_HOSTS[0]:
        raise ImproperlyConfigured(
            "Set PORTAL_ORIGIN (e.g. https://portal.example.com): the first of ALLOWED_HOSTS, "
            f"{ALLOWED_HOSTS[0]!r}, is a pattern, not the portal's address."
        )
    PORTAL_ORIGIN = f"https://{ALLOWED_HOSTS[0]}"
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False

# The posting function called through libpq (ledger/pg.py): bench-ledger's goal (postings/s at
# least half of pgbench's tps) is met with it; through a Django cursor it is not (README).
LEDGER_POST_LIBPQ = env.bool("LEDGER_POST_LIBPQ", default=True)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production runs behind one TLS proxy that appends the client's address (README).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
