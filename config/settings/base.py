"""Settings shared by every environment; everything that differs comes from the environment.

The table of variables is in README.md ("Configuration"). Defaults make the embedded
start work: SQLite, tasks run eagerly, e-mail to the console, SMS to the database inbox.
"""

from decimal import Decimal
from pathlib import Path

import csp.constants
import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The portal's canonical address (scheme, host and port, no path): every link the portal
# sends (account e-mails, invitations, the welcome SMS) is built from it, never from a
# request's Host header; a reseller's own active hostname is used only for people who belong
# to that reseller (core.net.portal_url; customers.adapters). `make run` sets it from PORT.
PORTAL_ORIGIN = env("PORTAL_ORIGIN", default="http://127.0.0.1:8000").rstrip("/")
# The name the portal signs its e-mails with ("Hello from Tessera!").
SITE_NAME = env("SITE_NAME", default="Tessera")

SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -----------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tables2",
    "django_filters",
    "djmoney",
    "django_countries",
    "django_htmx",
    "csp",
    # ours, lowest layer first (README "Architecture"; `make lint` holds the order)
    "core",
    "audit",
    "accounts",
    "ledger",
    "tax",
    "resellers",
    "sms",
    "customers",
    "billing",
    "payments",
    "config",
]

MIDDLEWARE = [
    "resellers.middleware.ResellerHostMiddleware",  # first: ALLOWED_HOSTS + active reseller hosts
    "django.middleware.security.SecurityMiddleware",
    # Permissions-Policy everywhere, Cache-Control: no-store for signed-in users (static files
    # never have a signed-in user here: whitenoise answers them below).
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # 413 before anything reads the body (CSRF reads request.POST in process_view, later).
    "core.middleware.RequestSizeLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.tenancy.TenantMiddleware",
    "resellers.middleware.ResellerStatusMiddleware",
    "customers.middleware.CustomerMiddleware",
    # The language: the person's setting, the switcher, the reseller's host, Accept-Language.
    "customers.middleware.LanguageMiddleware",
    "customers.middleware.ResellerHostSignInMiddleware",
    "customers.middleware.PasswordChangeRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "resellers.navigation.navigation",
                "resellers.branding.branding",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# The embedded default is a SQLite file; production and CI set DATABASE_URL to PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------
# Login rate limits live in the cache: use Redis whenever there is more than one process.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://tessera")}
# A Redis cache degrades instead of failing requests while Redis is down (core/cache.py):
# sessions come from the database then, and the sign-in rate limits fail open.
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "core.cache.DegradingRedisCache"
# Sessions are read from the cache and written through to the database: with Redis as the
# cache (production, docker-compose) a signed-in request costs no session query.
SESSION_ENGINE = env("SESSION_ENGINE", default="django.contrib.sessions.backends.cached_db")

# --- Users and sign-in ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends with a cheaper user look-up per request (accounts.backends).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
    "customers.backends.PhoneBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# Sign-in on resellers' own hostnames and the links in account e-mails (customers.adapters).
ACCOUNT_ADAPTER = "customers.adapters.PortalAccountAdapter"
# End customers sign in with their mobile number (customers.forms.PhoneOrEmailLoginForm).
ACCOUNT_FORMS = {"login": "customers.forms.PhoneOrEmailLoginForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_PRESERVE_USERNAME_CASING = False
# Sign-up is open for people who will apply as resellers; operators may close it.
TESSERA_SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
# Failed logins: at most 5 per 5 minutes per account and client address together, and 20 per
# 5 minutes per client address.
# How many proxies in front of the app append to X-Forwarded-For (core.net.client_ip): 0 when
# clients connect directly (`make run`), 1 behind the one TLS proxy production requires. The
# terms evidence and allauth's per-address rate limits both read the client's address this way.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

ACCOUNT_RATE_LIMITS = {
    # "key" is the account together with the client's address (accounts.adapters): failures
    # from one address never lock the account's owner out elsewhere (README, "Production").
    "login_failed": "20/5m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    # Per address only: a per-e-mail limit would let anyone refuse a known person's reset.
    # How many reset e-mails one address gets is bounded by "reset_password_email".
    "reset_password": "20/m/ip",
    "reset_password_email": "5/15m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Tessera"

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("de", _("German")),
    ("fr", _("French")),
    ("pl", _("Polish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

# --- Money ------------------------------------------------------------------------------------
CURRENCIES = ("EUR", "USD", "GBP", "PLN", "CHF", "CAD")
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", default="EUR")

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Tessera <noreply@tessera.localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- Celery -----------------------------------------------------------------------------------
# Without a broker, tasks run eagerly in the web process so the one-command start works.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or None
# A redis:// broker is used through config/broker.py's transport (one Redis client per channel
# instead of one per message published); any other broker through kombu's own.
CELERY_BROKER_TRANSPORT = (
    "config.broker:Transport" if (CELERY_BROKER_URL or "").startswith("redis://") else None
)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="") or None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE: dict = {}
# Needed, though Celery does not document it: its Django fix-up (celery/fixups/django.py, read
# there as CELERY_DB_REUSE_MAX) closes every database connection before and after every task
# unless this is set, so each SMS sent opened a new PostgreSQL connection (a server process).
# Set, the fix-up closes them only every 2 x this many tasks. What keeps connections healthy
# in between is config/celery.py's task_postrun handler, which closes old or broken ones after
# each task as Django does after each request (CONN_MAX_AGE, health checks). Celery is pinned
# to its minor version (pyproject.toml), as upstream is reworking that fix-up.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)

# --- The operator (the company that runs the portal and issues invoices) --------------------
_OPERATOR_STREET = env("OPERATOR_STREET", default="Musterstraße 1")
_OPERATOR_POSTCODE = env("OPERATOR_POSTCODE", default="10115")
_OPERATOR_CITY = env("OPERATOR_CITY", default="Berlin")
OPERATOR = {
    "name": env("OPERATOR_NAME", default="Tessera Operator GmbH"),
    "street": _OPERATOR_STREET,
    "postcode": _OPERATOR_POSTCODE,
    "city": _OPERATOR_CITY,
    "address": env(
        "OPERATOR_ADDRESS", default=f"{_OPERATOR_STREET}, {_OPERATOR_POSTCODE} {_OPERATOR_CITY}"
    ),
    "country": env("OPERATOR_COUNTRY", default="DE"),
    "vat_id": env("OPERATOR_VAT_ID", default="DE129273398"),
    # The Steuernummer, printed beside the VAT ID when set (§14 UStG asks for one of them).
    "tax_id": env("OPERATOR_TAX_ID", default=""),
    "vat_rate": Decimal(env("OPERATOR_VAT_RATE", default="19.00")),
    "bank_name": env("OPERATOR_BANK_NAME", default="Musterbank"),
    "iban": env("OPERATOR_IBAN", default="DE89370400440532013000"),
    "bic": env("OPERATOR_BIC", default="COBADEFFXXX"),
    "support_email": env("OPERATOR_SUPPORT_EMAIL", default="support@tessera.localhost"),
}

# --- Tables -----------------------------------------------------------------------------------
DJANGO_TABLES2_TEMPLATE = "django_tables2/tessera.html"  # stacked rows on phones
DJANGO_TABLES2_TABLE_ATTRS = {
    "class": "table table-hover align-middle",
    "thead": {"class": "table-light"},
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs each of its 7 steps at INFO: 7 lines per invoice drawn.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
# --- Ledger -----------------------------------------------------------------------------------
# Operator accounts are split into this many rows per kind and currency (see ledger/services.py).
LEDGER_OPERATOR_SHARDS = env.int("LEDGER_OPERATOR_SHARDS", default=16)
# Key of the entries' digests, which ledger_verify recomputes. Never change it once money moved.
LEDGER_DIGEST_KEY = env("LEDGER_DIGEST_KEY", default="tessera-ledger")
# How a posting calls its database function on PostgreSQL (ledger/pg.py). False: through a
# Django cursor (documented API only, logged like any query, no state in the database session).
# True: through libpq with a prepared statement, about half the Python CPU of a posting.
LEDGER_POST_LIBPQ = env.bool("LEDGER_POST_LIBPQ", default=False)
# --- Sales Panel: customers and recharges ----------------------------------------------------
# Whether a reseller may recharge another reseller's customer (like a prepaid top-up at any
# shop); it then sees a masked name only, never the balance or history.
TESSERA_CROSS_RESELLER_RECHARGE = env.bool("CROSS_RESELLER_RECHARGE", default=True)
# The amounts a reseller may sell, per currency (the reseller's currency picks the list).
RECHARGE_AMOUNTS = {
    "EUR": ["5", "10", "20", "50"],
    "USD": ["5", "10", "20", "50"],
    "GBP": ["5", "10", "20", "50"],
    "CHF": ["5", "10", "20", "50"],
    "CAD": ["5", "10", "20", "50"],
    "PLN": ["20", "50", "100", "200"],
}
# --- SMS --------------------------------------------------------------------------------------
# Backend: "console" (the log), "database" (the inbox at /sms/inbox/) or "http" (a gateway).
SMS_BACKEND = env("SMS_BACKEND", default="database")
SMS_HTTP_URL = env("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10.0)
# Sender shown when a reseller's name gives none (alphanumeric, at most 11 characters).
SMS_SENDER_NAME = env("SMS_SENDER_NAME", default="Tessera")
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=6)
SMS_RETRY_BASE_SECONDS = env.int("SMS_RETRY_BASE_SECONDS", default=30)
SMS_RETRY_MAX_SECONDS = env.int("SMS_RETRY_MAX_SECONDS", default=1800)
# Queued but not sent (a lost retry or enqueue) for this long: the beat job sends it again.
SMS_STUCK_AFTER_SECONDS = env.int("SMS_STUCK_AFTER_SECONDS", default=300)
# "sending" is a lease: a worker killed mid-send leaves the message so; after this long it is
# sent again with the same reference (the gateway drops a duplicate). Longer than the longest
# live send (two gateway calls of SMS_HTTP_TIMEOUT; `manage.py check` says so).
SMS_SENDING_LEASE_SECONDS = env.int("SMS_SENDING_LEASE_SECONDS", default=45)
SMS_STUCK_BATCH = 500
CELERY_BEAT_SCHEDULE["sms-resend-stuck"] = {
    "task": "sms.tasks.messages_resend_stuck",
    "schedule": env.float("SMS_STUCK_CHECK_SECONDS", default=30.0),
}
# --- Invoices (billing/) ---------------------------------------------------------------------
# Render and mail tasks lost on their way to a worker (broker down) are sent again.
CELERY_BEAT_SCHEDULE["invoices-recover"] = {
    "task": "billing.tasks.invoices_recover",
    "schedule": env.float("INVOICES_RECOVER_SECONDS", default=300.0),
}
# --- Payments (payments/): top-ups by card (Stripe), PayPal and bank transfer ---------------
# Provider endpoints and keys come from the environment in production. Empty API bases mean
# the providers' real endpoints; `make run` points them at the loopback fakes
# (`manage.py payment_fakes`, payments/fakes/), which sign with the secrets below.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")  # e.g. http://127.0.0.1:8001/stripe
PAYPAL_CLIENT_ID = env("PAYPAL_CLIENT_ID", default="")
PAYPAL_CLIENT_SECRET = env("PAYPAL_CLIENT_SECRET", default="")
PAYPAL_WEBHOOK_ID = env("PAYPAL_WEBHOOK_ID", default="")
# "sandbox" or "live"; PAYPAL_API_BASE, when set, overrides the environment's URL (the fake).
PAYPAL_ENVIRONMENT = env("PAYPAL_ENVIRONMENT", default="sandbox")
PAYPAL_API_BASE = env("PAYPAL_API_BASE", default="")
PAYMENTS_HTTP_TIMEOUT = env.float("PAYMENTS_HTTP_TIMEOUT", default=20.0)
# Where IPNs from resellers' own PayPal accounts are posted back for verification: empty means
# PayPal's endpoint for PAYPAL_ENVIRONMENT (payments/gateways/paypal_ipn.py).
PAYPAL_IPN_VERIFY_URL = env("PAYPAL_IPN_VERIFY_URL", default="")
# Where a customer's browser posts the PayPal Payments Standard form (cmd=_xclick) to pay the
# reseller's own PayPal account: PayPal's page for PAYPAL_ENVIRONMENT unless set (the fake).
# The page with that form allows its origin in CSP form-action (payments/views/customer.py).
PAYPAL_STANDARD_URL = env(
    "PAYPAL_STANDARD_URL",
    default="https://www.paypal.com/cgi-bin/webscr"
    if PAYPAL_ENVIRONMENT == "live"
    else "https://www.sandbox.paypal.com/cgi-bin/webscr",
)
# IPNs a reseller's notify_url keeps a minute: past it the post is answered 503 and kept
# nowhere (PayPal sends a real IPN again later; a flood of forged posts fills no table).
PAYPAL_IPN_KEEP_PER_MINUTE = env.int("PAYPAL_IPN_KEEP_PER_MINUTE", default=120)
# The largest IPN body accepted (a real one is about 1-2 KB); larger is answered 413.
PAYPAL_IPN_MAX_BYTES = env.int("PAYPAL_IPN_MAX_BYTES", default=20 * 1024)
# The methods Add funds offers, in this order (a method without keys is left out).
PAYMENT_METHODS = env.list("PAYMENT_METHODS", default=["stripe", "paypal", "bank"])
# Top-up amounts (net, the reseller's currency): the least accepted, and the ones offered as
# buttons; any amount at or above the minimum may be typed.
TOPUP_MINIMUM = {
    "EUR": "20",
    "USD": "20",
    "GBP": "20",
    "CHF": "20",
    "CAD": "25",
    "PLN": "100",
}
TOPUP_MAXIMUM = {
    "EUR": "50000",
    "USD": "50000",
    "GBP": "50000",
    "CHF": "50000",
    "CAD": "70000",
    "PLN": "200000",
}
TOPUP_AMOUNTS = {
    "EUR": ["50", "100", "250", "500"],
    "USD": ["50", "100", "250", "500"],
    "GBP": ["50", "100", "250", "500"],
    "CHF": ["50", "100", "250", "500"],
    "CAD": ["50", "100", "250", "500"],
    "PLN": ["200", "500", "1000", "2000"],
}
# A card or PayPal top-up still pending after this long is re-fetched from its provider by
# the reconciliation job, which settles it or, past TOPUP_EXPIRE_HOURS, expires it.
TOPUP_RECHECK_MINUTES = env.int("TOPUP_RECHECK_MINUTES", default=15)
TOPUP_EXPIRE_HOURS = env.int("TOPUP_EXPIRE_HOURS", default=24)
# A bank transfer's proforma is valid for this many days; unpaid after it, the top-up expires.
TOPUP_BANK_EXPIRE_DAYS = env.int("TOPUP_BANK_EXPIRE_DAYS", default=30)
# Notifications that fail verification are kept for staff, at most this many a minute per
# provider (a flood of forged posts is counted in the log instead of filling the table).
PAYMENTS_REJECTED_KEEP_PER_MINUTE = env.int("PAYMENTS_REJECTED_KEEP_PER_MINUTE", default=100)
# Bank statements staff upload (CAMT.053 or CSV): the largest file accepted. The request size
# limit (MAX_REQUEST_BYTES) is raised to this for the upload address only.
STATEMENT_MAX_BYTES = env.int("STATEMENT_MAX_BYTES", default=20 * 1024 * 1024)
# Commission payouts (SEPA credit transfer, in euros): the least amount a reseller may ask
# to be paid out of its commission credit.
PAYOUT_MINIMUM = Decimal(env("PAYOUT_MINIMUM", default="25.00"))
CELERY_BEAT_SCHEDULE["payments-reconcile"] = {
    "task": "payments.tasks.topups_reconcile",
    "schedule": env.float("TOPUP_RECONCILE_SECONDS", default=300.0),
}
# Customers' own payments waiting for their reseller's sales credit are credited after the
# reseller's top-up at once; this job catches credit that arrived any other way.
CELERY_BEAT_SCHEDULE["customer-payments-retry"] = {
    "task": "payments.tasks.customer_payments_retry",
    "schedule": env.float("CUSTOMER_PAYMENTS_RETRY_SECONDS", default=300.0),
}
# IPNs whose postback PayPal did not answer (the task's retries spent, or a broker that lost
# the task): asked again, for PAYPAL_IPN_RETRY_DAYS after they arrived.
CELERY_BEAT_SCHEDULE["paypal-ipns-retry"] = {
    "task": "payments.tasks.paypal_ipns_retry",
    "schedule": env.float("PAYPAL_IPNS_RETRY_SECONDS", default=900.0),
}
PAYPAL_IPN_RETRY_DAYS = env.int("PAYPAL_IPN_RETRY_DAYS", default=3)
# --- VIES (EU VAT number check) ----------------------------------------------------------------
VIES_URL = env(
    "VIES_URL", default="https://ec.europa.eu/taxation_customs/vies/rest-api/check-vat-number"
)
VIES_TIMEOUT = env.float("VIES_TIMEOUT", default=10.0)
# Retries of an unavailable VIES: countdown doubles from VIES_RETRY_BASE seconds, at most 8.
VIES_RETRY_BASE = env.int("VIES_RETRY_BASE", default=60)
VIES_MAX_RETRIES = env.int("VIES_MAX_RETRIES", default=8)
CELERY_BEAT_SCHEDULE["resellers-application-reminders"] = {
    "task": "resellers.tasks.application_reminders_send",
    "schedule": crontab(hour=8, minute=0),
}
# --- Reseller branding and own hostnames (resellers/hosts.py) ---------------------------------
# The portal's public IPv4 addresses: the A record a reseller's own hostname must point to.
PORTAL_PUBLIC_IPS = env.list("PORTAL_PUBLIC_IPS", default=["203.0.113.10"])
# One-time fee for activating an own hostname, in the reseller's currency, from sales credit.
HOSTNAME_FEE = Decimal(env("HOSTNAME_FEE", default="10.00"))
# Dotted path of `resolve(hostname) -> list[str]` (IPv4 addresses); tests point it at a fake.
HOSTNAME_RESOLVER = env("HOSTNAME_RESOLVER", default="resellers.hosts.resolve_ipv4")
BRANDING_LOGO_MAX_BYTES = env.int("BRANDING_LOGO_MAX_BYTES", default=512 * 1024)
BRANDING_LOGO_MAX_SIDE = env.int("BRANDING_LOGO_MAX_SIDE", default=1024)
# --- Headers and limits (core/middleware.py, django-csp) -------------------------------------
# Content-Security-Policy: no inline script or style without the response's nonce
# ({{ request.csp_nonce }}); no eval (htmx's allowEval is off in templates/base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.constants.SELF],
        "script-src": [csp.constants.SELF, csp.constants.NONCE],
        "style-src": [csp.constants.SELF, csp.constants.NONCE],
        # Bootstrap draws form controls with data: SVGs; logos are served from /media/.
        "img-src": [csp.constants.SELF, "data:"],
        "font-src": [csp.constants.SELF],
        "connect-src": [csp.constants.SELF],
        "frame-ancestors": [csp.constants.NONE],
        "form-action": [csp.constants.SELF],
        "base-uri": [csp.constants.SELF],
        "object-src": [csp.constants.NONE],
    },
}
# Browser features no page of ours uses, switched off for every response.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(), geolocation=(), gyroscope=(), hid=(), idle-detection=(), magnetometer=(), "
    "microphone=(), midi=(), payment=(), picture-in-picture=(), publickey-credentials-get=(), "
    "screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()"
)
# The largest request body the app accepts, checked against Content-Length before anything
# reads the body (413); a body without Content-Length (chunked) is refused (411). It must stay
# above the largest upload (the logo) plus the form around it; the proxy in front caps a
# little above it (deploy/nginx.conf: client_max_body_size), so the app's message is shown.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=BRANDING_LOGO_MAX_BYTES + 512 * 1024)
# Addresses that take a larger body (path → bytes): the bank statement upload, operator staff
# only. deploy/nginx.conf has a location with the same cap.
MAX_REQUEST_BYTES_BY_PATH = {"/staff/payments/statements/": STATEMENT_MAX_BYTES + 512 * 1024}
