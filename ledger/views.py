import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required
from config.ui import filtered, paginated
from ledger import selectors, services
from ledger.filters import StaffTransactionFilter
from ledger.forms import ReverseForm
from ledger.models import LedgerAccount
from ledger.tables import EntryTable, StaffTransactionTable, _account_label

STATEMENT_PAGE = 50


@operator_staff_required
def staff_transaction_list(request):
    filterset = StaffTransactionFilter(request.GET, queryset=selectors.staff_transaction_list())
    table = paginated(request, StaffTransactionTable(filtered(filterset)))
    return render(
        request, "ledger/staff_transaction_list.html", {"table": table, "filter": filterset}
    )


@operator_staff_required
def staff_transaction_detail(request, pk: int):
    txn = get_object_or_404(selectors.staff_transaction_list(), pk=pk)
    entries = EntryTable(selectors.staff_transaction_entries(transaction=txn))
    can_reverse = not txn.reversed_by_pk and txn.kind != txn.Kind.REVERSAL
    return render(
        request,
        "ledger/staff_transaction_detail.html",
        {"txn": txn, "entries": entries, "form": ReverseForm(), "can_reverse": can_reverse},
    )


@require_POST
@operator_staff_required
def staff_transaction_reverse(request, pk: int):
    txn = get_object_or_404(selectors.staff_transaction_list(), pk=pk)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the reversal."))
        return redirect("ledger:staff-transaction-detail", pk=txn.pk)
    try:
        reversal = services.ledger_transaction_reverse(
            transaction_id=txn.pk, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.LedgerError as exc:
        messages.error(request, str(exc))
        return redirect("ledger:staff-transaction-detail", pk=txn.pk)
    messages.success(
        request,
        _("Transaction #%(id)s is reversed by #%(rev)s.") % {"id": txn.pk, "rev": reversal.pk},
    )
    return redirect("ledger:staff-transaction-detail", pk=reversal.pk)


def _day(value: str | None, *, end: bool = False) -> dt.datetime | None:
    day = parse_date(value) if value else None
    if day is None:
        return None
    if end:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@operator_staff_required
def staff_account_statement(request, pk: int):
    try:
        account = selectors.staff_account_get(pk=pk)
    except LedgerAccount.DoesNotExist:
        raise Http404 from None
    after = request.GET.get("after")
    after_id = int(after) if after and after.isdigit() else None
    entries = selectors.account_statement(
        account=account,
        start=_day(request.GET.get("from")),
        end=_day(request.GET.get("to"), end=True),
        after_id=after_id,
        limit=STATEMENT_PAGE + 1,
    )
    more = len(entries) > STATEMENT_PAGE
    entries = entries[:STATEMENT_PAGE]
    return render(
        request,
        "ledger/staff_account_statement.html",
        {
            "account": account,
            "label": _account_label(account),
            "entries": entries,
            "next_after": entries[-1].pk if more else None,
        },
    )
