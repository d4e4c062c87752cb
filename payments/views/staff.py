"""Operator staff: every top-up, refunds, reconciliation, and the bank statements."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required
from core.errors import show_error
from core.money import money_display
from core.ui import filtered, paginated
from payments import selectors
from payments.errors import RefundError, StatementLineError
from payments.filters import StaffTopUpFilter
from payments.forms import LineAssignForm, LineDismissForm, RefundForm, StatementUploadForm
from payments.models import Method, StatementImport, StatementLine, TopUp, TopUpRefund
from payments.services.refunds import refund_flagged_retry, refund_request
from payments.services.statements import (
    statement_import_create,
    statement_line_assign,
    statement_line_dismiss,
)
from payments.tables import (
    RejectedEventTable,
    StaffTopUpTable,
    StatementLineTable,
)

EVENTS_SHOWN = 50
LINES_SHOWN = 200


def _staff_topup(pk: int) -> TopUp:
    try:
        return selectors.staff_topup_get(pk=pk)
    except TopUp.DoesNotExist:
        raise Http404 from None


@operator_staff_required
def staff_topup_list(request):
    filterset = StaffTopUpFilter(request.GET, queryset=selectors.staff_topup_list())
    table = paginated(request, StaffTopUpTable(filtered(filterset)))
    return render(request, "payments/staff_topup_list.html", {"table": table, "filter": filterset})


def _refundable(topup: TopUp) -> bool:
    return (
        topup.method in (Method.STRIPE, Method.PAYPAL)
        and topup.status in (TopUp.Status.PAID,)
        and topup.refundable_gross > 0
    )


def _detail(request, topup: TopUp, refund_form=None, status=200):
    if refund_form is None and _refundable(topup):
        refund_form = RefundForm(currency=topup.currency, refundable=topup.refundable_gross)
    return render(
        request,
        "payments/staff_topup_detail.html",
        {
            "topup": topup,
            "events": selectors.topup_events(topup=topup),
            "refunds": topup.refunds.select_related("actor"),
            "invoices": selectors.topup_invoices(topup=topup),
            "refund_form": refund_form if _refundable(topup) else None,
        },
        status=status,
    )


@operator_staff_required
def staff_topup_detail(request, pk: int):
    return _detail(request, _staff_topup(pk))


@require_POST
@operator_staff_required
def staff_topup_refund(request, pk: int):
    topup = _staff_topup(pk)
    form = RefundForm(request.POST, currency=topup.currency, refundable=topup.refundable_gross)
    if not form.is_valid():
        return _detail(request, topup, form, status=400)
    try:
        refund = refund_request(
            topup_id=topup.pk,
            gross=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
            key=f"staff:{form.cleaned_data['key']}",
        )
    except RefundError as exc:
        show_error(request, exc, form)
        return _detail(request, _staff_topup(pk), form, status=400)
    messages.success(
        request,
        _("%(amount)s refunded.") % {"amount": money_display(refund.gross, topup.currency)},
    )
    return redirect("payments:staff-topup-detail", pk=topup.pk)


@require_POST
@operator_staff_required
def staff_refund_retry(request, pk: int):
    try:
        refund = selectors.staff_refund_get(pk=pk)
    except TopUpRefund.DoesNotExist:
        raise Http404 from None
    try:
        refund_flagged_retry(refund_id=refund.pk, actor=request.user)
        messages.success(request, _("The reversal was posted."))
    except RefundError as exc:
        show_error(request, exc)
    return redirect("payments:staff-topup-detail", pk=refund.topup_id)


@operator_staff_required
def staff_reconciliation(request):
    events = paginated(request, RejectedEventTable(selectors.staff_rejected_events()))
    return render(
        request,
        "payments/staff_reconciliation.html",
        {
            "balances": selectors.staff_clearing_balances(),
            "attention": selectors.staff_attention_list()[:EVENTS_SHOWN],
            "events": events,
        },
    )


@operator_staff_required
def staff_statements(request):
    form = StatementUploadForm()
    if request.method == "POST":
        form = StatementUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            statement = statement_import_create(
                actor=request.user, file_name=upload.name, content=upload.read()
            )
            return redirect("payments:staff-statement-detail", pk=statement.pk)
    return render(
        request,
        "payments/staff_statements.html",
        {
            "form": form,
            "imports": selectors.staff_statement_imports()[:20],
            "queue_count": selectors.staff_statement_queue().count(),
        },
        status=400 if form.errors else 200,
    )


@operator_staff_required
def staff_statement_detail(request, pk: int):
    try:
        statement = selectors.staff_statement_import_get(pk=pk)
    except StatementImport.DoesNotExist:
        raise Http404 from None
    running = statement.status in (StatementImport.Status.QUEUED, StatementImport.Status.RUNNING)
    template = (
        "payments/_statement_progress.html"
        if request.htmx and request.GET.get("poll")
        else "payments/staff_statement_detail.html"
    )
    context = {"statement": statement, "running": running}
    if template.endswith("detail.html") and not running:
        lines = list(selectors.staff_statement_lines(statement=statement)[: LINES_SHOWN + 1])
        context.update(
            lines=lines[:LINES_SHOWN],
            more_lines=len(lines) > LINES_SHOWN,
            queue=StatementLine.QUEUE,
        )
    return render(request, template, context)


@operator_staff_required
def staff_statement_queue(request):
    table = paginated(request, StatementLineTable(selectors.staff_statement_queue()))
    return render(request, "payments/staff_statement_queue.html", {"table": table})


def _line(pk: int) -> StatementLine:
    try:
        return selectors.staff_statement_line_get(pk=pk)
    except StatementLine.DoesNotExist:
        raise Http404 from None


def _line_page(request, line, assign=None, dismiss=None, status=200):
    initial = {"reference": line.candidate.reference} if line.candidate_id else {}
    return render(
        request,
        "payments/staff_statement_line.html",
        {
            "line": line,
            "open": line.status in StatementLine.QUEUE,
            "assign": assign or LineAssignForm(initial=initial),
            "dismiss": dismiss or LineDismissForm(),
            "suggestions": selectors.staff_open_bank_topups(currency=line.currency)[:20],
        },
        status=status,
    )


@operator_staff_required
def staff_statement_line(request, pk: int):
    return _line_page(request, _line(pk))


@require_POST
@operator_staff_required
def staff_statement_line_assign(request, pk: int):
    line = _line(pk)
    form = LineAssignForm(request.POST)
    if not form.is_valid():
        return _line_page(request, line, assign=form, status=400)
    try:
        topup = statement_line_assign(
            line_id=line.pk,
            reference=form.cleaned_data["reference"],
            actor=request.user,
            note=form.cleaned_data["note"],
        )
    except StatementLineError as exc:
        show_error(request, exc, form)
        return _line_page(request, _line(pk), assign=form, status=400)
    messages.success(
        request,
        _("The line paid top-up %(reference)s: %(amount)s credited.")
        % {"reference": topup.reference, "amount": money_display(topup.net, topup.currency)},
    )
    return redirect("payments:staff-statement-queue")


@require_POST
@operator_staff_required
def staff_statement_line_dismiss(request, pk: int):
    line = _line(pk)
    form = LineDismissForm(request.POST)
    if not form.is_valid():
        return _line_page(request, line, dismiss=form, status=400)
    try:
        statement_line_dismiss(line_id=line.pk, actor=request.user, note=form.cleaned_data["note"])
    except StatementLineError as exc:
        show_error(request, exc, form)
        return _line_page(request, _line(pk), dismiss=form, status=400)
    messages.success(request, _("The line was set aside."))
    return redirect("payments:staff-statement-queue")
