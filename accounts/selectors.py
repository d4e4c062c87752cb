from django.db.models import QuerySet

from accounts.models import Membership, User


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
