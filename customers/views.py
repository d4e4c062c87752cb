from django.shortcuts import get_object_or_404, render

from accounts.access import customer_required, tenant_role_required
from accounts.models import Role
from config.ui import filtered, paginated
from customers.filters import CustomerFilter
from customers.selectors import customer_list
from customers.tables import CustomerTable
from sms.selectors import message_list_for_customer


@tenant_role_required(Role.ADMIN, Role.USER)
def customer_list_view(request):
    filterset = CustomerFilter(request.GET, queryset=customer_list(reseller=request.reseller))
    table = paginated(request, CustomerTable(filtered(filterset)))
    return render(request, "customers/customer_list.html", {"table": table, "filter": filterset})


@tenant_role_required(Role.ADMIN, Role.USER)
def customer_detail(request, pk: int):
    customer = get_object_or_404(customer_list(reseller=request.reseller), pk=pk)
    sms_messages = message_list_for_customer(reseller=request.reseller, customer=customer)[:20]
    return render(
        request,
        "customers/customer_detail.html",
        {"customer": customer, "sms_messages": sms_messages},
    )


@customer_required
def portal(request):
    return render(request, "customers/portal.html", {"customer": request.customer})
