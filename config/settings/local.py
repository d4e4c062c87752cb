"""The embedded default: one command, no services. SQLite, eager tasks, console e-mail."""

from .base import *
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="local-development-only-not-a-secret")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# SMS land in the database inbox (/sms/inbox/, operator staff only); with DEBUG the text as
# sent (passwords included) is also logged to the console (sms.backends.DatabaseBackend).
SMS_BACKEND = env("SMS_BACKEND", default="database")
