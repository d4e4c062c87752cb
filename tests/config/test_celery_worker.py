"""A real Celery worker on Redis runs what the web process queues after commit.

The web side is this test process (configured with the Redis broker instead of eager tasks);
the worker is `celery -A config worker` in a subprocess with the project's own settings.
"""

import os
import time
from pathlib import Path

import pytest
from django.urls import reverse

from tests.celery_worker import broker, celery_worker  # noqa: F401 - broker is a fixture
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(broker, tmp_path):  # noqa: F811 - the imported fixture
    """Start a worker that writes e-mail to files in a folder; stop it afterwards."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = {
        "CELERY_BROKER_URL": broker,
        "EMAIL_URL": f"filemail:///{outbox}",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:////tmp/tessera-worker.sqlite3"),
    }
    with celery_worker(name="test", env=env) as process:
        yield outbox, process


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
