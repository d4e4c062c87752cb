"""Team services: invitations (create, resend, revoke, accept) and role/activity changes."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, Role, User
from accounts.services import TeamError
from audit.models import AuditEvent
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _origin(settings):
    settings.PORTAL_ORIGIN = "https://portal.example.test"


def _link_token(message) -> str:
    match = re.search(r"https://portal\.example\.test/invitation/([\w-]+)/", message.body)
    assert match, message.body
    return match.group(1)


def _invite(world, email="new.person@example.test", role=Role.USER, capture=None):
    with capture(execute=True):
        return services.invitation_create(
            reseller=world.a.reseller, actor=world.a.admin, email=email, role=role
        )


def test_invitation_is_mailed_after_commit_and_only_the_token_hash_is_kept(
    world, django_capture_on_commit_callbacks
):
    invitation = _invite(
        world, email=" New.Person@Example.TEST ", capture=django_capture_on_commit_callbacks
    )
    assert invitation.email == "new.person@example.test"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.test"]
    assert "Tenant A" in message.subject and "User" in message.body
    token = _link_token(message)
    assert token not in invitation.token_hash
    assert invitation.token_hash == services.invitation_token_hash(token)
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)
    assert AuditEvent.objects.filter(
        action="invitation.created", object_id=str(invitation.pk)
    ).exists()


def test_inviting_an_active_member_or_an_open_address_again_is_refused(
    world, django_capture_on_commit_callbacks
):
    with pytest.raises(TeamError) as err:
        _invite(world, email=world.a.user.email.upper(), capture=django_capture_on_commit_callbacks)
    assert err.value.code == "already-member"
    _invite(world, capture=django_capture_on_commit_callbacks)
    with pytest.raises(TeamError) as err:
        _invite(world, capture=django_capture_on_commit_callbacks)
    assert err.value.code == "already-invited"
    assert Invitation.objects.filter(email="new.person@example.test").count() == 1
    assert len(mail.outbox) == 1


def test_an_expired_open_invitation_makes_way_for_a_new_one(
    world, django_capture_on_commit_callbacks
):
    old = InvitationFactory(
        reseller=world.a.reseller, email="late@example.test", expires_at=timezone.now()
    )
    new = _invite(world, email="late@example.test", capture=django_capture_on_commit_callbacks)
    old.refresh_from_db()
    assert old.revoked_at is not None and new.pk != old.pk


def test_resend_makes_a_new_link_and_the_old_one_stops_working(
    world, django_capture_on_commit_callbacks
):
    invitation = _invite(world, capture=django_capture_on_commit_callbacks)
    first = _link_token(mail.outbox[0])
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(
            reseller=world.a.reseller,
            actor=world.a.admin,
            invitation_id=invitation.pk,
        )
    second = _link_token(mail.outbox[1])
    assert first != second
    with pytest.raises(TeamError) as err:
        services.invitation_accept_new_user(
            token=first, first_name="A", last_name="B", password="x"
        )
    assert err.value.code == "invitation-unknown"
    membership = services.invitation_accept_new_user(
        token=second, first_name="Nora", last_name="Neu", password="long-enough-pass-42"
    )
    assert membership.role == Role.USER


def test_revoked_invitation_cannot_be_accepted_resent_or_revoked_again(world):
    invitation = InvitationFactory(reseller=world.a.reseller)
    services.invitation_revoke(
        reseller=world.a.reseller, actor=world.a.admin, invitation_id=invitation.pk
    )
    with pytest.raises(TeamError) as err:
        services.invitation_accept_new_user(
            token=invitation.token, first_name="A", last_name="B", password="long-enough-pass-42"
        )
    assert err.value.code == "invitation-revoked"
    for action in (services.invitation_revoke, services.invitation_resend):
        with pytest.raises(TeamError) as err:
            action(
                reseller=world.a.reseller,
                actor=world.a.admin,
                invitation_id=invitation.pk,
            )
        assert err.value.code == "invitation-revoked"
    assert AuditEvent.objects.filter(action="invitation.revoked").count() == 1


def test_another_resellers_invitation_is_not_found_by_its_admin(world):
    invitation = InvitationFactory(reseller=world.a.reseller)
    with pytest.raises(Invitation.DoesNotExist):
        services.invitation_revoke(
            reseller=world.b.reseller, actor=world.b.admin, invitation_id=invitation.pk
        )


def test_new_user_accepts_gets_a_verified_account_and_the_role(world):
    invitation = InvitationFactory(reseller=world.a.reseller, role=Role.ACCOUNTANT)
    membership = services.invitation_accept_new_user(
        token=invitation.token, first_name="Nora", last_name="Neu", password="long-enough-pass-42"
    )
    user = membership.user
    assert (user.email, user.get_full_name()) == (invitation.email, "Nora Neu")
    assert user.check_password("long-enough-pass-42")
    assert user.emailaddress_set.get().verified
    assert (membership.reseller, membership.role, membership.is_active) == (
        world.a.reseller,
        Role.ACCOUNTANT,
        True,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    assert AuditEvent.objects.filter(action="invitation.accepted", actor=user).exists()
    with pytest.raises(TeamError) as err:
        services.invitation_accept_new_user(
            token=invitation.token, first_name="X", last_name="Y", password="long-enough-pass-42"
        )
    assert err.value.code == "invitation-accepted"
    assert User.objects.filter(email=invitation.email).count() == 1


def test_expired_or_unknown_token_is_refused_and_creates_nobody(world):
    invitation = InvitationFactory(
        reseller=world.a.reseller, expires_at=timezone.now() - timedelta(seconds=1)
    )
    for token, code in ((invitation.token, "invitation-expired"), ("nope", "invitation-unknown")):
        with pytest.raises(TeamError) as err:
            services.invitation_accept_new_user(
                token=token, first_name="A", last_name="B", password="long-enough-pass-42"
            )
        assert err.value.code == code
    assert not User.objects.filter(email=invitation.email).exists()


def test_an_existing_account_must_sign_in_and_only_the_invited_account_may_accept(world):
    person = UserFactory(email="known@example.test")
    invitation = InvitationFactory(reseller=world.a.reseller, email="known@example.test")
    with pytest.raises(TeamError) as err:
        services.invitation_accept_new_user(
            token=invitation.token, first_name="A", last_name="B", password="long-enough-pass-42"
        )
    assert err.value.code == "account-exists"
    with pytest.raises(TeamError) as err:
        services.invitation_accept_existing_user(token=invitation.token, user=world.b.admin)
    assert err.value.code == "wrong-account"
    membership = services.invitation_accept_existing_user(token=invitation.token, user=person)
    assert membership.user == person and membership.reseller == world.a.reseller


def test_a_deactivated_member_invited_again_comes_back_with_the_new_role(world):
    membership = Membership.objects.get(reseller=world.a.reseller, user=world.a.user)
    services.membership_deactivate(
        reseller=world.a.reseller, actor=world.a.admin, membership_id=membership.pk
    )
    invitation = InvitationFactory(
        reseller=world.a.reseller, email=world.a.user.email, role=Role.ADMIN
    )
    again = services.invitation_accept_existing_user(token=invitation.token, user=world.a.user)
    assert again.pk == membership.pk and again.is_active and again.role == Role.ADMIN


def _membership(tenant, user):
    return Membership.objects.get(reseller=tenant.reseller, user=user)


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(world):
    reseller, admin = world.a.reseller, _membership(world.a, world.a.admin)

    def refused(action, actor, membership, **kwargs) -> str:
        with pytest.raises(TeamError) as err:
            action(reseller=reseller, actor=actor, membership_id=membership.pk, **kwargs)
        return err.value.code

    change, deactivate = services.membership_role_change, services.membership_deactivate
    assert refused(change, world.a.admin, admin, role=Role.USER) == "last-admin"
    other = MembershipFactory(reseller=reseller, role=Role.ADMIN)
    assert refused(deactivate, world.a.admin, admin) == "self"
    # A deactivated second Admin does not count.
    deactivate(reseller=reseller, actor=world.a.admin, membership_id=other.pk)
    assert refused(change, world.a.admin, admin, role=Role.ACCOUNTANT) == "last-admin"
    services.membership_reactivate(reseller=reseller, actor=world.a.admin, membership_id=other.pk)
    deactivate(reseller=reseller, actor=other.user, membership_id=admin.pk)
    assert refused(change, other.user, other, role=Role.USER) == "last-admin"
    admin.refresh_from_db()
    other.refresh_from_db()
    assert (admin.is_active, other.role, other.is_active) == (False, Role.ADMIN, True)


def test_role_change_and_deactivation_are_audited_and_take_access_away(world):
    user = _membership(world.a, world.a.user)
    services.membership_role_change(
        reseller=world.a.reseller, actor=world.a.admin, membership_id=user.pk, role=Role.ACCOUNTANT
    )
    services.membership_deactivate(
        reseller=world.a.reseller, actor=world.a.admin, membership_id=user.pk
    )
    actions = list(
        AuditEvent.objects.filter(object_id=str(user.pk), object_type="accounts.membership")
        .order_by("id")
        .values_list("action", "data")
    )
    assert actions == [
        (
            "membership.role_changed",
            {"user": world.a.user.email, "from": "user", "to": "accountant"},
        ),
        ("membership.deactivated", {"user": world.a.user.email, "role": "accountant"}),
    ]
    with pytest.raises(TeamError) as err:
        services.membership_deactivate(
            reseller=world.a.reseller, actor=world.a.admin, membership_id=user.pk
        )
    assert err.value.code == "already-inactive"
    assert world.client_for("user").get("/r/").status_code == 403
