"""Issue 11, point 6: a change that committed is done even when the broker cannot take the
task that follows it. `core.queue.enqueue_on_commit` logs the failure; each caller's own
recovery path sends it later (README "Background tasks").

The broker here is a Redis URL nothing listens on (connection refused at once); the tests
with a real Redis that is killed are in tests/config/test_redis_outage.py.
"""

import logging
import re
import socket

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import Role
from accounts.services import invitation_create
from config.celery import app
from core.queue import enqueue_now, enqueue_on_commit
from customers.models import Customer
from ledger.models import LedgerTransaction
from sms.models import Message
from sms.tasks import message_send
from tax.models import VatCheck
from tax.services import vat_check_start
from tests.celery_worker import broker_at
from tests.factories import CustomerFactory, UserFactory
from tests.world import build_world


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_broker(monkeypatch, caplog):
    """Celery publishes to a Redis broker that refuses connections."""
    url = f"redis://127.0.0.1:{_free_port()}/0"
    caplog.set_level(logging.ERROR, logger="core.queue")
    with broker_at(monkeypatch, url):
        yield caplog


def _refused(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.queue"]


@pytest.mark.django_db
def test_enqueue_after_commit_logs_instead_of_raising(
    dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(message_send, 42)
    (line,) = _refused(dead_broker)
    assert line.startswith("could not enqueue sms.tasks.message_send(42): the broker refused")
    assert enqueue_now(message_send, 42) is False


@app.task(name="tests.core.test_queue.broken")
def broken() -> None:
    raise RuntimeError("a bug in a task")


def test_without_a_broker_the_task_runs_eagerly_and_its_errors_still_show():
    """`make run` and the unit tests: a bug in a task is not swallowed by the helper."""
    assert app.conf.task_always_eager
    with pytest.raises(RuntimeError, match="a bug in a task"):
        enqueue_now(broken)


@pytest.mark.django_db(transaction=True)
def test_a_recharge_that_committed_answers_success_with_the_broker_down(dead_broker):
    """It answered 500 after committing: a clerk selling again charged twice."""
    world = build_world()
    dead_broker.clear()  # building the world sent tasks too (its bank statement's import)
    client = world.client_for("user")
    page = client.get("/r/recharge/").content.decode()
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    data = {"phone": "+491791234567", "amount": "10.0000", "key": key, "step": "confirm"}
    answer = client.post("/r/recharge/", data)
    assert answer.status_code == 200
    assert 'data-testid="recharge-done"' in answer.text
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 1
    message = Message.objects.get(customer=Customer.objects.get(phone="+491791234567"))
    assert message.status == Message.Status.QUEUED  # for sms.tasks.messages_resend_stuck
    assert message.secret_body  # the password waits for the re-send, never in the body
    (line,) = _refused(dead_broker)
    assert f"sms.tasks.message_send({message.pk})" in line


@pytest.mark.django_db(transaction=True)
def test_a_vat_check_is_left_pending_with_the_broker_down(dead_broker):
    customer = CustomerFactory()
    reseller = customer.reseller
    with transaction.atomic():
        check = vat_check_start(reseller=reseller)
    assert VatCheck.objects.get(pk=check.pk).status == VatCheck.Status.PENDING
    (line,) = _refused(dead_broker)
    assert f"tax.tasks.vies_check({check.pk})" in line


@pytest.mark.django_db(transaction=True)
def test_an_invitation_is_made_with_the_broker_down_and_the_mail_never_logged(dead_broker):
    world = build_world()
    dead_broker.clear()  # building the world sent tasks too (its bank statement's import)
    invitation = invitation_create(
        reseller=world.a.reseller,
        actor=world.a.admin,
        email="new@example.test",
        role=Role.USER,
    )
    assert invitation.pk
    (line,) = _refused(dead_broker)
    assert "accounts.tasks.email_send(dict)" in line
    assert "invitation" not in line.lower()  # the link is not written to the log


@pytest.mark.django_db(transaction=True)
def test_a_password_reset_request_answers_with_the_broker_down(dead_broker, client):
    UserFactory(email="reset-me@example.test")
    answer = client.post(reverse("account_reset_password"), {"email": "reset-me@example.test"})
    assert answer.status_code == 302
    (line,) = _refused(dead_broker)
    assert "accounts.tasks.email_send(dict)" in line


def test_a_task_named_by_its_name_is_sent_from_a_process_that_never_imported_it():
    """The web process enqueues payments' tasks by name (the statement import, the PayPal
    capture), but Celery registers a task only when its module is imported, which
    autodiscovery does in a worker. A fresh interpreter, as the web process is, sends them
    (here to a broker that refuses: logged and False, not NotRegistered after the commit)."""
    import subprocess
    import sys

    from django.conf import settings

    script = (
        "import django; django.setup()\n"
        "import sys\n"
        "from config.celery import app\n"
        "from core.queue import enqueue_now\n"
        f"app.conf.update(broker_url='redis://127.0.0.1:{_free_port()}/0',"
        " broker_transport='config.broker:Transport', task_always_eager=False)\n"
        "assert 'payments.tasks' not in sys.modules\n"
        "print(enqueue_now('payments.tasks.statement_import_run', 1))\n"
        "print(enqueue_now('payments.tasks.topup_refresh', 1))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
    assert "could not enqueue payments.tasks.statement_import_run(1)" in result.stderr
