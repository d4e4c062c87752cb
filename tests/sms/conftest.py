import pytest

from tests.fakes.sms_gateway import FakeSmsGateway


@pytest.fixture
def gateway(settings):
    """The fake HTTP gateway, with the settings pointing the "http" backend at it."""
    fake = FakeSmsGateway().start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = fake.url
    settings.SMS_HTTP_TOKEN = fake.token
    settings.SMS_HTTP_TIMEOUT = 2.0
    yield fake
    fake.stop()
