"""Writes on users and memberships."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation, Membership, Role, User
from accounts.tasks import email_send
from accounts.tokens import invitation_token_hash, token_new
from audit.services import audit_record
from core.errors import CodedError
from core.net import portal_url
from core.queue import enqueue_on_commit

if TYPE_CHECKING:  # a type only: resellers sits above accounts
    from resellers.models import Reseller


@transaction.atomic(durable=True)
def user_create(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    email_verified: bool = False,
) -> User:
    """Create a user who signs in with `email`; mark the address verified when we know it is."""
    return _user_insert(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
        email_verified=email_verified,
    )


def _user_insert(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    is_staff: bool,
    is_superuser: bool,
    email_verified: bool,
) -> User:
    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=email_verified)
    audit_record(actor=None, action="user.created", obj=user, data={"staff": is_staff})
    return user


@transaction.atomic(durable=True)
def membership_add(*, actor: User | None, reseller: Reseller, user: User, role: Role) -> Membership:
    """Give a user a role in a reseller (or change the role of an existing membership)."""
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user, reseller=reseller, defaults={"role": role}
    )
    if not created and (membership.role != role or not membership.is_active):
        membership.role = role
        membership.is_active = True
        membership.save(update_fields=["role", "is_active"])
    audit_record(
        actor=actor,
        action="membership.added" if created else "membership.changed",
        reseller=reseller,
        obj=membership,
        data={"user": user.email, "role": str(role)},
    )
    return membership


# --- Team: invitations, roles, deactivation ---------------------------------------------------


class TeamError(CodedError):
    """A team change that is not allowed; `code` picks the message people read."""

    messages = {
        "bad-role": _("Choose one of the roles offered."),
        "already-member": _("This person is already an active member of this reseller."),
        "already-invited": _(
            "An invitation to this address is still open: resend it from the list below."
        ),
        "invitation-used": _("This invitation was already accepted."),
        "invitation-accepted": _("This invitation was already accepted."),
        "invitation-revoked": _("This invitation was revoked."),
        "invitation-expired": _("This invitation has expired. Ask for a new one."),
        "invitation-unknown": _("This invitation link is not valid."),
        "account-exists": _(
            "An account with this address exists already: sign in to accept the invitation."
        ),
        "wrong-account": _("This invitation was sent to another e-mail address."),
        "last-admin": _(
            "This is the last active Admin. Make another member an Admin first: a reseller "
            "always needs one."
        ),
        "self": _("You cannot deactivate yourself; ask another Admin."),
        "already-inactive": _("This member is already deactivated."),
        "already-active": _("This member is already active."),
    }
    fields = {"already-member": "email", "already-invited": "email", "bad-role": "role"}


INVITATION_VALID_FOR = timedelta(days=7)


def _send_invitation(*, invitation: Invitation, token: str) -> None:
    """Render the e-mail now (in the inviting Admin's language) and send it after commit."""
    payload = _invitation_mail(invitation=invitation, token=token)
    enqueue_on_commit(email_send, payload)  # broker down: logged; the Admin resends it


def _invitation_mail(*, invitation: Invitation, token: str) -> dict:
    """The invitation e-mail in the active language. The link is on the portal's canonical
    origin whatever host the Admin used: the invitee does not belong to the reseller yet,
    and may already belong to others."""
    context = {
        "invitation": invitation,
        "reseller_name": invitation.reseller.name,
        "inviter": str(invitation.invited_by) if invitation.invited_by else "",
        "role": invitation.get_role_display(),
        "accept_url": portal_url(reverse("accounts:invitation-accept", kwargs={"token": token})),
        "expires_at": invitation.expires_at,
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context)
    return {
        "subject": settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
        "body": render_to_string("accounts/email/invitation_message.txt", context),
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "to": [invitation.email],
    }


def _lock_team(reseller_id: int) -> list[Membership]:
    """Lock every membership of a reseller, in id order (role and activity checks read all)."""
    return list(
        Membership.objects.select_for_update(of=("self",))
        .filter(reseller_id=reseller_id)
        .select_related("user")
        .order_by("pk")
    )


@transaction.atomic(durable=True)
def invitation_create(*, reseller: Reseller, actor: User, email: str, role: Role) -> Invitation:
    """Invite `email` to `role` in `reseller` and e-mail the link (after commit)."""
    email = User.objects.normalize_email(email).strip().lower()
    if role not in Role.values:
        raise TeamError("bad-role")
    team = _lock_team(reseller.pk)
    if any(m.user.email == email and m.is_active for m in team):
        raise TeamError("already-member")
    now = timezone.now()
    open_invitations = Invitation.objects.select_for_update().filter(
        reseller=reseller, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    )
    for stale in open_invitations:
        if stale.expires_at > now:
            raise TeamError("already-invited")
        # An expired invitation makes way for the new one.
        stale.revoked_at = now
        stale.save(update_fields=["revoked_at"])
    token = token_new()
    invitation = Invitation.objects.create(
        reseller=reseller,
        email=email,
        role=role,
        token_hash=invitation_token_hash(token),
        invited_by=actor,
        sent_at=now,
        expires_at=now + INVITATION_VALID_FOR,
    )
    audit_record(
        actor=actor,
        action="invitation.created",
        reseller=reseller,
        obj=invitation,
        data={"email": email, "role": str(role)},
    )
    _send_invitation(invitation=invitation, token=token)
    return invitation


def _lock_open_invitation(*, reseller: Reseller, invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("reseller", "invited_by")
        .get(pk=invitation_id, reseller=reseller)
    )
    if invitation.accepted_at is not None:
        raise TeamError("invitation-used")
    if invitation.revoked_at is not None:
        raise TeamError("invitation-revoked")
    return invitation


@transaction.atomic(durable=True)
def invitation_resend(*, reseller: Reseller, actor: User, invitation_id: int) -> Invitation:
    """Send a fresh link (a new token; the old link stops working) valid for another week."""
    invitation = _lock_open_invitation(reseller=reseller, invitation_id=invitation_id)
    token = token_new()
    now = timezone.now()
    invitation.token_hash = invitation_token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_VALID_FOR
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit_record(
        actor=actor,
        action="invitation.resent",
        reseller=reseller,
        obj=invitation,
        data={"email": invitation.email},
    )
    _send_invitation(invitation=invitation, token=token)
    return invitation


@transaction.atomic(durable=True)
def invitation_revoke(*, reseller: Reseller, actor: User, invitation_id: int) -> Invitation:
    invitation = _lock_open_invitation(reseller=reseller, invitation_id=invitation_id)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="invitation.revoked",
        reseller=reseller,
        obj=invitation,
        data={"email": invitation.email},
    )
    return invitation


def _lock_token(token: str) -> Invitation:
    """The pending invitation of a token, locked after its reseller's team (the order every
    team service locks in)."""
    found = Invitation.objects.filter(token_hash=invitation_token_hash(token)).values(
        "pk", "reseller_id"
    )
    found = found.first()
    if found is None:
        raise TeamError("invitation-unknown")
    _lock_team(found["reseller_id"])
    try:
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("reseller")
            .get(pk=found["pk"], token_hash=invitation_token_hash(token))
        )
    except Invitation.DoesNotExist:  # resent (a new token) meanwhile
        raise TeamError("invitation-unknown") from None
    status = invitation.status_at(timezone.now())
    if status != Invitation.Status.PENDING:
        raise TeamError(f"invitation-{status}")
    return invitation


def _join(*, invitation: Invitation, user: User) -> Membership:
    """Give the invited role (a deactivated member comes back with it), mark it accepted.
    The team is locked already (`_lock_token`)."""
    membership = Membership.objects.filter(reseller=invitation.reseller, user=user).first()
    if membership is not None and membership.is_active:
        raise TeamError("already-member")
    if membership is None:
        membership = Membership.objects.create(
            reseller=invitation.reseller, user=user, role=invitation.role
        )
    else:
        membership.role, membership.is_active = invitation.role, True
        membership.save(update_fields=["role", "is_active"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        action="invitation.accepted",
        reseller=invitation.reseller,
        obj=invitation,
        data={"email": invitation.email, "role": invitation.role, "membership": membership.pk},
    )
    return membership


@transaction.atomic(durable=True)
def invitation_accept_new_user(
    *, token: str, first_name: str, last_name: str, password: str
) -> Membership:
    """A person without an account accepts: the account is created with the invited address
    (verified: the link reached it) and joins the reseller."""
    invitation = _lock_token(token)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise TeamError("account-exists")
    user = _user_insert(
        email=invitation.email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_staff=False,
        is_superuser=False,
        email_verified=True,
    )
    return _join(invitation=invitation, user=user)


@transaction.atomic(durable=True)
def invitation_accept_existing_user(*, token: str, user: User) -> Membership:
    """A signed-in person accepts an invitation sent to their own address."""
    invitation = _lock_token(token)
    if user.email.lower() != invitation.email.lower():
        raise TeamError("wrong-account")
    return _join(invitation=invitation, user=user)


def _other_active_admins(team: list[Membership], membership: Membership) -> int:
    return sum(1 for m in team if m.pk != membership.pk and m.is_active and m.role == Role.ADMIN)


def _team_member(team: list[Membership], membership_id: int) -> Membership:
    for membership in team:
        if membership.pk == membership_id:
            return membership
    raise Membership.DoesNotExist


@transaction.atomic(durable=True)
def membership_role_change(
    *, reseller: Reseller, actor: User, membership_id: int, role: Role
) -> Membership:
    """Give a member another role; the last active Admin stays an Admin."""
    if role not in Role.values:
        raise TeamError("bad-role")
    team = _lock_team(reseller.pk)
    membership = _team_member(team, membership_id)
    if membership.role == role:
        return membership
    if (
        membership.role == Role.ADMIN
        and membership.is_active
        and not _other_active_admins(team, membership)
    ):
        raise TeamError("last-admin")
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="membership.role_changed",
        reseller=reseller,
        obj=membership,
        data={"user": membership.user.email, "from": previous, "to": str(role)},
    )
    return membership


@transaction.atomic(durable=True)
def membership_deactivate(*, reseller: Reseller, actor: User, membership_id: int) -> Membership:
    """Take a member's access away (kept for the record; reactivation gives it back)."""
    team = _lock_team(reseller.pk)
    membership = _team_member(team, membership_id)
    if not membership.is_active:
        raise TeamError("already-inactive")
    if membership.user_id == actor.pk:
        raise TeamError("self")
    if membership.role == Role.ADMIN and not _other_active_admins(team, membership):
        raise TeamError("last-admin")
    return _membership_active_set(membership, active=False, reseller=reseller, actor=actor)


@transaction.atomic(durable=True)
def membership_reactivate(*, reseller: Reseller, actor: User, membership_id: int) -> Membership:
    team = _lock_team(reseller.pk)
    membership = _team_member(team, membership_id)
    if membership.is_active:
        raise TeamError("already-active")
    return _membership_active_set(membership, active=True, reseller=reseller, actor=actor)


def _membership_active_set(
    membership: Membership, *, active: bool, reseller: Reseller, actor: User
) -> Membership:
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="membership.reactivated" if active else "membership.deactivated",
        reseller=reseller,
        obj=membership,
        data={"user": membership.user.email, "role": membership.role},
    )
    return membership


def user_language_set(*, user: User, language: str) -> None:
    """The language the person's pages and e-mails are in, wherever they sign in."""
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
