from django.db.models import QuerySet

from accounts.models import Invitation, Membership, User
from accounts.tokens import invitation_token_hash


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The active memberships of a user, with their resellers, in a stable order."""
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("reseller")
        .order_by("reseller__name", "reseller_id")
    )


def membership_list(*, reseller) -> QuerySet[Membership]:
    """The team of one reseller."""
    return (
        Membership.objects.filter(reseller=reseller).select_related("user").order_by("user__email")
    )


def invitation_open_list(*, reseller) -> QuerySet[Invitation]:
    """A reseller's invitations not yet accepted or revoked (expired ones too, to resend)."""
    return (
        Invitation.objects.filter(reseller=reseller, accepted_at__isnull=True)
        .filter(revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at", "-id")
    )


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invitation a link's token opens, whatever its state (the page says which)."""
    return (
        Invitation.objects.select_related("reseller", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


def user_exists(*, email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()
