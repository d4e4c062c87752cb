"""Choosing and switching the reseller in use."""

import pytest
from django.http import QueryDict
from django.urls import reverse

from accounts.models import Role
from accounts.tenancy import SESSION_KEY
from tests.factories import MembershipFactory, ResellerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_tenant_user():
    user = UserFactory()
    first = MembershipFactory(user=user, reseller=ResellerFactory(name="Alpha"), role=Role.ADMIN)
    second = MembershipFactory(user=user, reseller=ResellerFactory(name="Beta"), role=Role.USER)
    return user, first.reseller, second.reseller


def test_one_membership_is_used_without_asking(client):
    membership = MembershipFactory()
    client.force_login(membership.user)
    answer = client.get(reverse("dashboard"))
    assert answer.headers["Location"] == reverse("resellers:dashboard")


def test_several_memberships_ask_which_reseller_first(client, two_tenant_user):
    user, _, _ = two_tenant_user
    client.force_login(user)
    assert client.get(reverse("dashboard")).headers["Location"] == reverse("accounts:tenant-choose")
    answer = client.get(reverse("resellers:dashboard"))
    assert answer.headers["Location"].startswith(reverse("accounts:tenant-choose"))
    page = client.get(reverse("accounts:tenant-choose")).content.decode()
    assert "Alpha" in page and "Beta" in page


def test_switching_keeps_the_choice_and_applies_the_role_there(client, two_tenant_user):
    user, alpha, beta = two_tenant_user
    client.force_login(user)
    answer = client.post(reverse("accounts:tenant-switch"), {"reseller": alpha.pk})
    assert answer.headers["Location"] == reverse("resellers:dashboard")
    assert client.session[SESSION_KEY] == alpha.pk
    assert client.get(reverse("accounts:member-list")).status_code == 200  # Admin in Alpha
    client.post(reverse("accounts:tenant-switch"), {"reseller": beta.pk})
    assert client.session[SESSION_KEY] == beta.pk
    assert client.get(reverse("accounts:member-list")).status_code == 403  # User in Beta
    assert "Beta" in client.get(reverse("resellers:dashboard")).content.decode()


def test_switch_follows_only_local_next_urls(client, two_tenant_user):
    user, alpha, _ = two_tenant_user
    client.force_login(user)
    local = client.post(
        reverse("accounts:tenant-switch"), {"reseller": alpha.pk, "next": "/r/customers/"}
    )
    assert local.headers["Location"] == "/r/customers/"
    evil = client.post(
        reverse("accounts:tenant-switch"), {"reseller": alpha.pk, "next": "https://evil.test/"}
    )
    assert evil.headers["Location"] == reverse("resellers:dashboard")


@pytest.mark.parametrize("value", ["", "abc", "999999", "1 OR 1=1"])
def test_switch_to_anything_but_an_own_reseller_is_404(client, two_tenant_user, value):
    user, *_ = two_tenant_user
    client.force_login(user)
    assert client.post(reverse("accounts:tenant-switch"), {"reseller": value}).status_code == 404


def test_a_removed_membership_is_dropped_from_the_session(client, two_tenant_user):
    user, alpha, _ = two_tenant_user
    client.force_login(user)
    client.post(reverse("accounts:tenant-switch"), {"reseller": alpha.pk})
    user.memberships.filter(reseller=alpha).update(is_active=False)
    answer = client.get(reverse("resellers:dashboard"))
    assert "Beta" in answer.content.decode()  # the only one left is used
    assert SESSION_KEY not in client.session


def test_a_user_without_membership_sees_a_welcome_page(client):
    client.force_login(UserFactory())
    answer = client.get(reverse("dashboard"))
    assert answer.status_code == 200
    assert "do not belong to a reseller yet" in answer.content.decode()
    assert client.get(reverse("resellers:dashboard")).status_code == 403


def test_the_way_back_after_choosing_keeps_the_query_string(client, two_tenant_user):
    """`?next=` is encoded and carries the query: a cashbook filter survives the choice."""
    user, alpha, _ = two_tenant_user
    client.force_login(user)
    answer = client.get(reverse("ledger:cashbook"), {"date_from": "2026-11-01", "kind": "x&y"})
    location = answer.headers["Location"]
    assert location.startswith(reverse("accounts:tenant-choose") + "?next=")
    wanted = reverse("ledger:cashbook") + "?date_from=2026-11-01&kind=x%26y"
    assert QueryDict(location.split("?", 1)[1])["next"] == wanted
    back = client.post(reverse("accounts:tenant-switch"), {"reseller": alpha.pk, "next": wanted})
    assert back.headers["Location"] == wanted
