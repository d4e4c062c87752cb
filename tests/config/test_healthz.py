import pytest

from config.celery import app

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database_and_an_eager_broker(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {
        "database": "ok",
        "broker": "not configured (tasks run eagerly)",
        "status": "ok",
    }


@pytest.mark.slow  # the broker connection gives up after about 2 s
def test_healthz_fails_when_the_broker_is_down(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setattr(app.conf, "broker_url", settings.CELERY_BROKER_URL)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["database"] == "ok" and body["status"] == "error"
    assert body["broker"].startswith("error: ")


@pytest.mark.redis
def test_healthz_reports_a_reachable_broker(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = settings.TEST_REDIS_URL
    monkeypatch.setattr(app.conf, "broker_url", settings.TEST_REDIS_URL)
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["broker"] == "ok"
