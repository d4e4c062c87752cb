"""The Users page (invite, role, deactivate, invitations) and the invitation link."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role
from accounts.tenancy import SESSION_KEY
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
USERS = reverse("accounts:member-list")
INVITE = reverse("accounts:member-invite")


def _accept_url(invitation) -> str:
    return reverse("accounts:invitation-accept", kwargs={"token": invitation.token})


def test_users_page_lists_team_and_open_invitations_in_bounded_queries(
    world, django_assert_max_num_queries
):
    for _ in range(5):
        MembershipFactory(reseller=world.a.reseller, role=Role.USER)
        InvitationFactory(reseller=world.a.reseller)
    InvitationFactory(reseller=world.b.reseller, email="other-tenant@example.test")
    client = world.client_for("admin")
    with django_assert_max_num_queries(15):
        page = client.get(USERS).content.decode()
    assert world.a.user.email in page and "invitee" in page
    assert "other-tenant@example.test" not in page and world.b.user.email not in page
    assert "Send invitation" in page and "Change role" in page and "Revoke" in page


def test_admin_invites_by_email_and_the_link_lets_a_new_person_join(
    world, client, django_capture_on_commit_callbacks
):
    admin = world.client_for("admin")
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin.post(INVITE, {"email": "nora@example.test", "role": "user"}, follow=True)
    assert "An invitation is on its way to nora@example.test" in answer.content.decode()
    link = re.search(r"http://testserver(/invitation/[\w-]+/)", mail.outbox[0].body).group(1)

    page = client.get(link).content.decode()
    assert "nora@example.test" in page and "Create account and join" in page
    answer = client.post(
        link,
        {"first_name": "Nora", "last_name": "Neu", "password1": "x1", "password2": "x2"},
    )
    assert "The two passwords differ." in answer.content.decode()
    answer = client.post(
        link,
        {"first_name": "Nora", "last_name": "Neu", "password1": "nora", "password2": "nora"},
    )
    assert "too short" in answer.content.decode()
    assert not Membership.objects.filter(user__email="nora@example.test").exists()

    answer = client.post(
        link,
        {
            "first_name": "Nora",
            "last_name": "Neu",
            "password1": "sales-panel-2026",
            "password2": "sales-panel-2026",
        },
        follow=True,
    )
    assert answer.redirect_chain[-1][0] == reverse("resellers:dashboard")
    assert "Welcome to Tenant A" in answer.content.decode()
    assert client.session[SESSION_KEY] == world.a.reseller.pk
    assert client.get(reverse("customers:customer-list")).status_code == 200
    assert client.get(USERS).status_code == 403
    # The link is used up.
    client.logout()
    answer = client.get(link)
    assert answer.status_code == 410 and "already accepted" in answer.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"email": "not-an-address", "role": "user"}, "Enter a valid email address."),
        ({"email": "x@example.test", "role": "owner"}, "Select a valid choice."),
        ({"email": "", "role": "user"}, "This field is required."),
    ],
)
def test_bad_invitations_show_the_error_and_send_nothing(world, data, error):
    answer = world.client_for("admin").post(INVITE, data)
    assert answer.status_code == 200 and error in answer.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_inviting_a_member_or_an_open_address_says_why(world):
    admin = world.client_for("admin")
    page = admin.post(INVITE, {"email": world.a.accountant.email, "role": "user"}).content
    assert "already an active member" in page.decode()
    InvitationFactory(reseller=world.a.reseller, email="open@example.test")
    page = admin.post(INVITE, {"email": "open@example.test", "role": "admin"}).content
    assert "still open" in page.decode()
    assert Invitation.objects.count() == 1


def test_existing_user_signs_in_then_accepts(world, client):
    person = UserFactory(email="known@example.test")
    invitation = InvitationFactory(
        reseller=world.a.reseller, email=person.email, role=Role.ACCOUNTANT
    )
    page = client.get(_accept_url(invitation)).content.decode()
    assert "Sign in with it" in page and "Create account" not in page
    client.force_login(person)
    answer = client.post(_accept_url(invitation), follow=True)
    assert "You work here as Accountant" in answer.content.decode()
    assert Membership.objects.get(user=person).role == Role.ACCOUNTANT


def test_the_link_refuses_another_account_and_dead_tokens(world, client):
    invitation = InvitationFactory(reseller=world.a.reseller)
    answer = world.client_for("admin", world.b).post(_accept_url(invitation))
    assert answer.status_code == 403 and "another e-mail address" in answer.content.decode()
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None

    assert client.get("/invitation/made-up-token/").status_code == 404
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))
    answer = client.get(_accept_url(invitation))
    assert answer.status_code == 410 and "has expired" in answer.content.decode()
    revoked = InvitationFactory(reseller=world.a.reseller, revoked_at=timezone.now())
    answer = client.post(
        _accept_url(revoked),
        {
            "first_name": "A",
            "last_name": "B",
            "password1": "p-2026-long",
            "password2": "p-2026-long",
        },
    )
    assert answer.status_code == 410 and "was revoked" in answer.content.decode()
    assert not Membership.objects.filter(user__email=revoked.email).exists()


def _membership(tenant, user):
    return Membership.objects.get(reseller=tenant.reseller, user=user)


def test_role_change_deactivate_and_reactivate_from_the_users_page(world):
    admin = world.client_for("admin")
    target = _membership(world.a, world.a.user)
    url = reverse("accounts:member-role", kwargs={"pk": target.pk})
    answer = admin.post(url, {"role": "accountant"}, follow=True)
    assert "is now Accountant" in answer.content.decode()
    answer = admin.post(url, {"role": "boss"}, follow=True)
    assert "Choose one of the roles offered." in answer.content.decode()
    target.refresh_from_db()
    assert target.role == Role.ACCOUNTANT

    answer = admin.post(
        reverse("accounts:member-deactivate", kwargs={"pk": target.pk}), follow=True
    )
    assert "is deactivated" in answer.content.decode()
    assert world.client_for("user").get(reverse("resellers:dashboard")).status_code == 403
    answer = admin.post(
        reverse("accounts:member-reactivate", kwargs={"pk": target.pk}), follow=True
    )
    assert "is active again" in answer.content.decode()
    assert world.client_for("user").get(reverse("resellers:dashboard")).status_code == 200


def test_last_admin_demotion_is_refused_with_a_clear_message(world):
    admin = world.client_for("admin")
    own = _membership(world.a, world.a.admin)
    answer = admin.post(
        reverse("accounts:member-role", kwargs={"pk": own.pk}), {"role": "user"}, follow=True
    )
    assert "This is the last active Admin." in answer.content.decode()
    own.refresh_from_db()
    assert own.role == Role.ADMIN


def test_another_tenants_member_or_invitation_is_404(world):
    admin = world.client_for("admin", world.b)
    target = _membership(world.a, world.a.user)
    invitation = InvitationFactory(reseller=world.a.reseller)
    for name, pk in (
        ("accounts:member-role", target.pk),
        ("accounts:member-deactivate", target.pk),
        ("accounts:invitation-revoke", invitation.pk),
        ("accounts:invitation-resend", invitation.pk),
    ):
        assert admin.post(reverse(name, kwargs={"pk": pk}), {"role": "admin"}).status_code == 404
    target.refresh_from_db()
    assert target.is_active and target.role == Role.USER


def test_revoke_and_resend_from_the_users_page(world, django_capture_on_commit_callbacks):
    admin = world.client_for("admin")
    invitation = InvitationFactory(reseller=world.a.reseller, email="again@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin.post(
            reverse("accounts:invitation-resend", kwargs={"pk": invitation.pk}), follow=True
        )
    assert "A new link is on its way to again@example.test" in answer.content.decode()
    assert mail.outbox[0].to == ["again@example.test"]
    assert admin.get(_accept_url(invitation)).status_code == 404  # the old link is dead
    answer = admin.post(
        reverse("accounts:invitation-revoke", kwargs={"pk": invitation.pk}), follow=True
    )
    assert "is revoked" in answer.content.decode()
    assert "again@example.test" not in answer.content.decode().split("Open invitations")[1]


def test_the_invitation_page_runs_in_bounded_queries(world, client, django_assert_max_num_queries):
    invitation = InvitationFactory(reseller=world.a.reseller)
    with django_assert_max_num_queries(15):
        assert client.get(_accept_url(invitation)).status_code == 200
