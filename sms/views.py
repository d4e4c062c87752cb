from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required, tenant_role_required
from accounts.models import Role
from core.errors import show_error
from core.ui import paginated
from sms import selectors, services
from sms.filters import InboxFilter
from sms.tables import InboxTable, status_badge


@operator_staff_required
def inbox(request):
    """Every message (the database backend's inbox): operator staff only, in every
    configuration (DEBUG or not, any SMS_BACKEND). A secret shows as its mask once sent."""
    filterset = InboxFilter(request.GET, queryset=selectors.message_inbox())
    if filterset.is_valid():
        rows = selectors.message_inbox(filters=filterset.form.cleaned_data)
    else:
        rows = selectors.message_inbox().none()
    table = paginated(request, InboxTable(rows))
    return render(request, "sms/inbox.html", {"table": table, "filter": filterset})


@operator_staff_required
def message_detail(request, pk: int):
    message = get_object_or_404(selectors.message_inbox(), pk=pk)
    return render(
        request, "sms/message_detail.html", {"message": message, "badge": status_badge(message)}
    )


@require_POST
@tenant_role_required(Role.ADMIN, Role.USER)
def message_resend(request, pk: int):
    """Resend one of the tenant's failed messages; another tenant's id is a 404."""
    message = get_object_or_404(selectors.message_list(reseller=request.reseller), pk=pk)
    try:
        services.message_resend(message=message, actor=request.user)
    except services.MessageError as exc:  # not failed, or its password is gone
        show_error(request, exc)
    else:
        messages.success(
            request, _("The SMS to %(to)s is queued again.") % {"to": message.recipient}
        )
    if message.customer_id:
        return redirect("customers:customer-detail", pk=message.customer_id)
    return redirect("resellers:dashboard")
