"""accounts.backends: the per-request user look-up gives what Django's own would."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import AuthenticationBackend, ModelBackend
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend])
def test_get_user_matches_djangos_own(backend):
    """Every column of the model, so a field added to User is compared too."""
    user = UserFactory(first_name="Zoë", last_name="Łukasz", language="pl")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now(), is_staff=True)
    ours, theirs = backend().get_user(user.pk), DjangoModelBackend().get_user(user.pk)
    fields = [field.attname for field in User._meta.concrete_fields]
    assert len(fields) > 10
    assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields]
    assert not ours._state.adding
    assert ours.get_session_auth_hash() == theirs.get_session_auth_hash()


@pytest.mark.parametrize("user_id", [987654321, None])
def test_get_user_of_no_user_is_none(user_id):
    assert ModelBackend().get_user(user_id) is None


def test_get_user_refuses_an_inactive_user():
    user = UserFactory(is_active=False)
    assert ModelBackend().get_user(user.pk) is None


def test_a_signed_in_request_loads_its_user_with_one_statement(client):
    user = UserFactory()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/tenant/")
    assert answer.wsgi_request.user == user
    user_queries = [q["sql"] for q in queries.captured_queries if '"accounts_user"' in q["sql"]]
    assert len(user_queries) == 1
