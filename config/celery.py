"""The Celery application. Settings come from Django's settings, prefixed CELERY_."""

import os

from celery import Celery, signals
from django.db import close_old_connections
from kombu.transport import TRANSPORT_ALIASES

# redis:// brokers publish through one client per channel (see config/broker.py).
TRANSPORT_ALIASES["redis"] = "config.broker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tessera")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_postrun.connect
def _close_old_connections(task=None, **kwargs):
    """As Django does after a request: drop connections past CONN_MAX_AGE or broken by an
    error; keep the others (see CELERY_DB_REUSE_MAX in the settings)."""
    if task is not None and not task.request.is_eager:
        close_old_connections()
