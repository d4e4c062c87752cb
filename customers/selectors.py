from django.db.models import QuerySet

from customers.models import Customer


def customer_list(*, reseller) -> QuerySet[Customer]:
    """The customers a reseller owns."""
    return Customer.objects.filter(reseller=reseller)


def customer_for_user(*, user) -> Customer | None:
    """The end customer a user signs in as, with the reseller that owns it."""
    return Customer.objects.select_related("reseller").filter(user=user).first()
