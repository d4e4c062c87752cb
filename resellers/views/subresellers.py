"""Sub-resellers (reseller Admin): the list, creating one, its page, moving sales credit to
it and back."""

import uuid

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import tenant_role_required
from accounts.models import Role
from core.errors import DomainError, show_error
from core.money import money_display
from core.ui import paginated
from ledger.models import LedgerAccount
from ledger.selectors import reseller_balance, reseller_recent_entries
from ledger.services import IdempotencyConflict
from resellers import selectors
from resellers.forms import (
    CreditTransferForm,
    SubresellerCreateForm,
)
from resellers.services import subresellers
from resellers.tables import (
    SubResellerTable,
)

Kind = LedgerAccount.Kind

# --- Sales Panel (the tenant) -----------------------------------------------------------------


HISTORY_ROWS = 50


@tenant_role_required(Role.ADMIN)
def subreseller_list(request):
    reseller = request.reseller
    table = paginated(request, SubResellerTable(selectors.sub_reseller_accounts(reseller=reseller)))
    allowance = selectors.subreseller_allowance(reseller=reseller)
    return render(
        request,
        "resellers/subreseller_list.html",
        {
            "table": table,
            "allowance": allowance,
            "refusal": (
                subresellers.SubresellerError.message_for(allowance.reason)
                if allowance.reason
                else ""
            ),
        },
    )


@tenant_role_required(Role.ADMIN)
def subreseller_create(request):
    parent = request.reseller
    allowance = selectors.subreseller_allowance(reseller=parent)
    if not allowance.allowed:
        messages.error(request, subresellers.SubresellerError.message_for(allowance.reason))
        return redirect("resellers:subreseller-list")
    form = SubresellerCreateForm(request.POST or None, parent=parent, allowance=allowance)
    if request.method == "POST" and form.is_valid():
        try:
            child = subresellers.subreseller_create(
                parent=parent, actor=request.user, **form.cleaned_data
            )
        except subresellers.SubresellerError as exc:
            show_error(request, exc, form)
        else:
            messages.success(
                request,
                _("%(name)s is created and approved. You are its Admin.") % {"name": child.name},
            )
            return redirect("resellers:subreseller-detail", pk=child.pk)
    return render(request, "resellers/subreseller_create.html", {"form": form})


def _subreseller_page(request, child, form=None, status: int = 200):
    return render(
        request,
        "resellers/subreseller_detail.html",
        {
            "child": child,
            "counts": selectors.reseller_dashboard_counts(reseller=child),
            "form": form or CreditTransferForm(currency=str(request.reseller.currency)),
            "history": reseller_recent_entries(
                reseller=child, kind=Kind.SALES_CREDIT, limit=HISTORY_ROWS
            ),
            "parent_credit": reseller_balance(reseller=request.reseller, kind=Kind.SALES_CREDIT),
        },
        status=status,
    )


@tenant_role_required(Role.ADMIN)
def subreseller_detail(request, pk: int):
    child = get_object_or_404(selectors.sub_reseller_accounts(reseller=request.reseller), pk=pk)
    return _subreseller_page(request, child)


@require_POST
@tenant_role_required(Role.ADMIN)
def subreseller_credit(request, pk: int):
    """Add credits to (or, with a negative amount, take them back from) a sub-reseller."""
    parent = request.reseller
    child = get_object_or_404(selectors.sub_reseller_accounts(reseller=parent), pk=pk)
    form = CreditTransferForm(request.POST, currency=str(parent.currency))
    if not form.is_valid():
        return _subreseller_page(request, child, form)
    try:
        subresellers.subreseller_credit_transfer(
            parent=parent,
            actor=request.user,
            child_id=child.pk,
            amount=form.cleaned_data["amount"],
            note=form.cleaned_data["note"],
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
        )
    except IdempotencyConflict as exc:
        show_error(request, exc, form)
        form.data = form.data.copy()
        form.data["idempotency_key"] = str(uuid.uuid4())
        return _subreseller_page(request, child, form)
    except DomainError as exc:
        show_error(request, exc, form)
        return _subreseller_page(request, child, form)
    amount = form.cleaned_data["amount"]
    values = {
        "amount": money_display(abs(amount), str(parent.currency)),
        "name": child.name,
    }
    if amount > 0:
        message = _("%(amount)s moved to %(name)s.") % values
    else:
        message = _("%(amount)s taken back from %(name)s.") % values
    messages.success(request, message)
    return redirect("resellers:subreseller-detail", pk=child.pk)
