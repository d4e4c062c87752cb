"""Views with the mistakes the access tests must catch. Only tests route to them."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from accounts.access import signed_in_required, tenant_role_required
from accounts.models import Role
from customers.models import Customer


@tenant_role_required(Role.ADMIN, Role.USER)
def leaky_customer_detail(request, pk: int):
    """Forgets the tenant: looks the customer up among every reseller's customers."""
    customer = get_object_or_404(Customer, pk=pk)
    return HttpResponse(customer.phone)


@signed_in_required
def admin_page_without_role_check(request):
    """Meant for Admins only, but only checks that somebody is signed in."""
    return HttpResponse("settings")


@tenant_role_required(Role.ADMIN)
def unregistered_object_page(request, pk: int):
    return HttpResponse(str(pk))
