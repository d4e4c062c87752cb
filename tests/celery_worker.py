"""A real `celery -A config worker` in a subprocess, for the integration tests, and the Redis
broker fixture they share (this process sends through Redis instead of running eagerly)."""

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def broker_at(monkeypatch, url: str) -> Iterator[str]:
    """Celery in this process publishes to the Redis at `url` (with the transport the settings
    choose for a redis:// broker, config.settings.base) instead of running tasks eagerly."""
    names = ("broker_url", "broker_transport", "task_always_eager")
    saved = {name: app.conf[name] for name in names}
    app.conf.update(
        broker_url=url, broker_transport="config.broker:Transport", task_always_eager=False
    )
    # Producers and connections made before were made for another broker: start afresh.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    try:
        yield url
    finally:
        app.conf.update(saved)


def worker_database_url() -> str:
    """The URL of the database this test runs on, for a worker in another process."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_log(process) -> str:
    """Stop the worker and return the end of what it printed (for a failure message)."""
    process.terminate()
    return process.communicate(timeout=15)[0][-4000:]


def wait_until(condition, seconds: float = 45) -> bool:
    """Poll `condition` until it is true or `seconds` have passed; its last answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.fixture
def broker(monkeypatch):
    """A clean Redis database as broker, for this process and the worker."""
    url = settings.TEST_REDIS_URL
    redis.Redis.from_url(url).flushdb()
    with broker_at(monkeypatch, url):
        yield url
    redis.Redis.from_url(url).flushdb()


@contextlib.contextmanager
def celery_worker(
    *, name: str, env: dict[str, str], drop_prefixes: tuple[str, ...] = ("DJANGO_",)
) -> Iterator[subprocess.Popen]:
    """Start one solo worker with the project's local settings plus `env`; stop it after."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(drop_prefixes)}
    full_env.update(DJANGO_SETTINGS_MODULE="config.settings.local", DEBUG="false", **env)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{name}-{uuid.uuid4().hex[:8]}@%h",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
