"""Writes on users and memberships."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import Membership, Role, User
from resellers.models import Reseller
from resellers.services import audit_record


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
