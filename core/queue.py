"""Enqueueing a Celery task once the change it follows has committed.

A change that committed is done, whatever the broker says: when the broker cannot take the
task (Redis down, a network split), the failure is logged and the request goes on. What then
sends the task is the caller's to say: the SMS outbox row stays queued for its re-send beat
job; a pending VIES check is asked again by staff (or the next change of the VAT ID); an
e-mail is lost, and the log names it so it can be asked for again (README "Background tasks").

With tasks running eagerly (no broker: `make run`, the unit tests) the task runs in the
calling process and its errors propagate as before, so a bug in a task still shows.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Any, *args: Any, using: str | None = None, **kwargs: Any) -> None:
    """Send `task` with `args`/`kwargs` to the broker after the current transaction commits
    (at once outside one); a failure to publish is logged, never raised. `task` is the task
    or its registered name ("payments.tasks.topup_refresh"): a service whose tasks module
    imports it names its task, so neither module imports the other."""
    transaction.on_commit(lambda: enqueue_now(task, *args, **kwargs), using=using)


def enqueue_now(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Publish `task` now; False (and an error in the log) when the broker refused it."""
    if isinstance(task, str):
        task = _task(task)
    if task.app.conf.task_always_eager:
        task.apply_async(args, kwargs)
        return True
    try:
        task.apply_async(args, kwargs)
    except Exception:  # kombu/redis raise many kinds; none may turn a commit into a 500
        logger.exception(
            "could not enqueue %s(%s): the broker refused it; left for its recovery path",
            task.name,
            _described(args),
        )
        return False
    return True


def _task(name: str) -> Any:
    """The registered task `name`; the apps' tasks modules are imported on first need (a web
    process has not imported them: Celery's autodiscovery runs when a worker starts)."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def _described(args: tuple) -> str:
    """Ids as they are; anything else (an e-mail with its reset link) only by its type."""
    return ", ".join(str(a) if isinstance(a, int) else type(a).__name__ for a in args)
