"""The Celery application. Settings come from Django's settings, prefixed CELERY_."""

import os

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tessera")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_postrun.connect
def _close_old_connections(task=None, **kwargs):
    """As Django does after a request: drop connections past CONN_MAX_AGE or broken by an
    error; keep the others. This is what keeps a worker's connections healthy (Celery's own
    closing is held off by CELERY_DB_REUSE_MAX, see the settings)."""
    if task is not None and not task.request.is_eager:
        close_old_connections()
