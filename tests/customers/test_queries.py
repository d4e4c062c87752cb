"""Bounded queries on the recharge pages, measured as in production: every request commits
for real (`transaction=True`), so durable transactions are not savepoints inside a test
transaction; the SMS task goes to a Redis broker, as it does in production, instead of running
in the request."""

import re

import pytest

from customers.forms import recharge_key_sign
from customers.services import customer_recharge
from tests.celery_worker import broker  # noqa: F401 - a fixture
from tests.world import fund

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

URL = "/r/recharge/"


@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "main"}])
def test_recharge_pages_stay_under_15_queries(
    headers,
    world,
    broker,  # noqa: F811 - the imported fixture
    django_assert_max_num_queries,
):
    # Warm up as a running server is: the reseller's first sale creates its commission account.
    reseller = world.a.reseller
    fund(reseller, net="400.00")
    customer_recharge(
        reseller=reseller,
        actor=world.a.user,
        phone=world.a.customer.phone,
        amount="5",
        idempotency_key="warm",
    )
    client = world.client_for("user")
    with django_assert_max_num_queries(15):
        page = client.get(URL, **headers).content.decode()
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    data = {"phone": "+49 179 1234567", "amount": "10.0000", "key": key, "step": "review"}
    with django_assert_max_num_queries(15):
        assert 'data-testid="customer-new"' in client.post(URL, data, **headers).content.decode()
    data["step"] = "confirm"
    with django_assert_max_num_queries(15):
        assert (
            "is registered" in client.post(URL, data, **headers).content.decode()
        )  # a new customer
    with django_assert_max_num_queries(15):
        assert "recharge-replayed" in client.post(URL, data, **headers).content.decode()
    data["key"], data["phone"] = (
        recharge_key_sign("second", reseller_id=world.a.reseller.pk, user_id=world.a.user.pk),
        world.a.customer.phone,
    )
    with django_assert_max_num_queries(15):
        assert (
            "is recharged" in client.post(URL, data, **headers).content.decode()
        )  # an existing one
