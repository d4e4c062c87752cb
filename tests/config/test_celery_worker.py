"""A real Celery worker on Redis runs what the web process queues after commit.

The web side is this test process (configured with the Redis broker instead of eager tasks);
the worker is `celery -A config worker` in a subprocess with the project's own settings.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.urls import reverse

from config.celery import app
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(monkeypatch):
    """A clean Redis database as broker, for this process and the worker."""
    url = settings.TEST_REDIS_URL
    redis.Redis.from_url(url).flushdb()
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=url, task_always_eager=False)
    # Producers and connections made before were made for another broker: start afresh.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    yield url
    app.conf.update(saved)
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def worker(broker, tmp_path):
    """Start a worker that writes e-mail to files in a folder; stop it afterwards."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="false",
        CELERY_BROKER_URL=broker,
        EMAIL_URL=f"filemail:///{outbox}",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:////tmp/tessera-worker.sqlite3"),
    )
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
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
            name,
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield outbox, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_files(folder: Path, count: int, seconds: float = 40) -> list[Path]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        files = sorted(folder.glob("*.log"))
        if len(files) >= count:
            return files
        time.sleep(0.2)
    return sorted(folder.glob("*.log"))


def test_password_reset_mail_is_sent_by_the_worker_after_commit(client, worker):
    outbox, process = worker
    user = UserFactory(email="reset-me@example.test")
    answer = client.post(reverse("account_reset_password"), {"email": user.email})
    assert answer.status_code == 302

    files = _wait_for_files(outbox, 1)
    if not files:
        process.terminate()
        pytest.fail("the worker sent nothing:\n" + process.communicate(timeout=15)[0][-3000:])
    text = files[0].read_text()
    assert "To: reset-me@example.test" in text
    assert "/accounts/password/reset/key/" in text
    # Exactly one message: the task ran once.
    time.sleep(1)
    assert len(list(outbox.glob("*.log"))) == 1
