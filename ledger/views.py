import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required, tenant_role_required
from accounts.models import Role
from core.errors import show_error
from core.exports import csv_response, xlsx_response
from core.money import money_display, money_text, to_minor_unit
from core.ui import filtered, paginated
from ledger import actions, selectors, services
from ledger.filters import StaffTransactionFilter
from ledger.forms import CashbookFilterForm, CommissionTransferForm, ReverseForm
from ledger.models import LedgerAccount
from ledger.tables import CashbookTable, EntryTable, StaffTransactionTable, _account_label

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
        reversal = actions.ledger_transaction_reverse(
            transaction_id=txn.pk, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.LedgerError as exc:
        show_error(request, exc)
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


# --- Sales Panel: cashbook and commission transfer --------------------------------------------

EXPORT_LIMIT = 5000
EXPORT_FORMATS = ("csv", "xlsx", "pdf")


@dataclass
class Cashbook:
    """The cashbook for a request's filters: one place for the page and every export."""

    form: CashbookFilterForm
    accounts: selectors.CashAccounts
    rows: QuerySet | list
    totals: dict
    start: dt.date | None = None
    end: dt.date | None = None


def _cashbook(request) -> Cashbook:
    reseller = request.reseller
    form = CashbookFilterForm(request.GET or None, today=timezone.localdate())
    accounts = selectors.reseller_cash_accounts(reseller=reseller)
    if request.GET and not form.is_valid():
        empty = {"sold": 0, "sales": 0, "commission": 0, "currency": accounts.currency}
        return Cashbook(form, accounts, [], empty)
    if not request.GET:  # this month, with the dates shown in the form
        today = timezone.localdate()
        month = {"date_from": today.replace(day=1), "date_to": today}
        form = CashbookFilterForm(month, today=today)
        form.is_valid()
    start, end = form.bounds()
    # A User sees their own sales; Admin and Accountant see everything.
    actor = request.user if request.membership.role == Role.USER else None
    scope = {"reseller": reseller, "accounts": accounts, "start": start, "end": end}
    scope |= {"kinds": form.kinds(), "actor": actor}
    return Cashbook(
        form,
        accounts,
        selectors.cashbook_rows(**scope),
        selectors.cashbook_totals(**scope),
        form.cleaned_data["date_from"],
        form.cleaned_data["date_to"],
    )


@tenant_role_required(Role.ADMIN, Role.USER, Role.ACCOUNTANT)
def cashbook(request):
    book = _cashbook(request)
    table = paginated(request, CashbookTable(book.rows, reseller_id=request.reseller.pk))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ledger/cashbook.html",
        {
            "book": book,
            "filter": book.form,
            "table": table,
            "query": query.urlencode(),
            "formats": EXPORT_FORMATS,
        },
    )


@tenant_role_required(Role.ADMIN, Role.USER, Role.ACCOUNTANT)
def cashbook_export(request):
    export_format = request.GET.get("_export", "csv")
    if export_format not in EXPORT_FORMATS:
        return HttpResponseBadRequest(
            _("Unknown export format %(format)s: choose CSV, XLSX or PDF.")
            % {"format": export_format},
            content_type="text/plain; charset=utf-8",
        )
    book = _cashbook(request)
    if book.form.errors:
        errors = "; ".join(str(e) for errors in book.form.errors.values() for e in errors)
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    rows = list(book.rows[: EXPORT_LIMIT + 1])
    if len(rows) > EXPORT_LIMIT:
        return HttpResponseBadRequest(
            _("More than %(limit)s movements: choose a shorter range.") % {"limit": EXPORT_LIMIT},
            content_type="text/plain; charset=utf-8",
        )
    name = f"cashbook-{request.reseller.slug}-{book.start}-{book.end}"
    table = CashbookTable(rows, reseller_id=request.reseller.pk)
    if export_format == "pdf":
        return _cashbook_pdf(request, book, table, name)
    header, *lines = table.as_values()
    width = len(header)
    lines += [[label, value, *[""] * (width - 2)] for label, value in _total_lines(book)]
    if export_format == "xlsx":
        return xlsx_response(filename=name, title=_("Cashbook"), header=header, rows=lines)
    return csv_response(filename=name, header=header, rows=lines)


def _total_lines(book: Cashbook) -> list[tuple[str, str]]:
    totals = book.totals
    currency = totals["currency"]
    return [
        (_("Total sold credit"), f"{to_minor_unit(totals['sold'], currency)} {currency}"),
        (_("Number of sales"), str(totals["sales"])),
        (
            _("Total commission received"),
            f"{to_minor_unit(totals['commission'], currency)} {currency}",
        ),
    ]


def _cashbook_pdf(request, book: Cashbook, table: CashbookTable, name: str) -> HttpResponse:
    from weasyprint import HTML

    # The header first, then the rows; amounts written as the page's language writes them.
    currency = book.totals["currency"]
    lines = [
        [money_text(cell, currency) if isinstance(cell, Decimal) else cell for cell in row]
        for row in table.as_values()
    ]
    totals = book.totals
    shown = [
        (_("Total sold credit"), money_display(totals["sold"], currency)),
        (_("Number of sales"), localize(totals["sales"])),
        (_("Total commission received"), money_display(totals["commission"], currency)),
    ]
    html = render_to_string(
        "ledger/cashbook_pdf.html",
        {"book": book, "header": lines[0], "lines": lines[1:], "totals": shown},
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@tenant_role_required(Role.ADMIN)
def commission_transfer(request):
    reseller = request.reseller
    currency = str(reseller.currency)
    if request.method != "POST":
        accounts = selectors.reseller_cash_accounts(reseller=reseller)
        form = CommissionTransferForm(available=accounts.commission_balance, currency=currency)
        return _transfer_page(request, form, accounts=accounts)
    # The service checks the commission credit under lock; the form only checks the amount.
    form = CommissionTransferForm(request.POST, available=None, currency=currency)
    if not form.is_valid():
        return _transfer_page(request, form)
    try:
        actions.commission_transfer(
            reseller=reseller,
            actor=request.user,
            amount=form.cleaned_data["amount"],
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
        )
    except services.LedgerError as exc:
        show_error(request, exc, form)
        return _transfer_page(request, form)
    messages.success(
        request,
        _("%(amount)s of commission credit moved to your sales credit.")
        % {"amount": money_display(form.cleaned_data["amount"], currency)},
    )
    return redirect("ledger:commission-transfer")


def _transfer_page(request, form, accounts=None):
    accounts = accounts or selectors.reseller_cash_accounts(reseller=request.reseller)
    return render(
        request,
        "ledger/commission_transfer.html",
        {"form": form, "accounts": accounts},
    )
