import uuid

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required, public, tenant_role_required
from accounts.models import Role
from accounts.tenancy import SESSION_KEY
from core.money import to_minor_unit
from core.ui import filtered, paginated
from ledger import selectors as ledger_selectors
from ledger.models import LedgerAccount
from ledger.selectors import reseller_balance, reseller_recent_entries
from ledger.services import IdempotencyConflict, InsufficientFunds
from ledger.tables import LatestMovementsTable
from resellers import branding as brand
from resellers import selectors, services
from resellers.filters import (
    AuditEventFilter,
    StaffAdvertisingRequestFilter,
    StaffApplicationFilter,
    StaffResellerFilter,
)
from resellers.forms import (
    AdvertisingRequestForm,
    AdvertisingStatusForm,
    ApplicationForm,
    BrandingForm,
    CreditTransferForm,
    HostnameForm,
    RejectForm,
    StaffCreditForm,
    SubresellerCreateForm,
    SubresellerPolicyForm,
    SuspendForm,
    TermsForm,
    VatIdForm,
)
from resellers.models import AdvertisingRequest, Reseller
from resellers.tables import (
    AdvertisingRequestTable,
    AuditEventTable,
    StaffAdvertisingRequestTable,
    StaffApplicationTable,
    StaffResellerTable,
    SubResellerTable,
    TermsTable,
)

Kind = LedgerAccount.Kind

# --- Sales Panel (the tenant) -----------------------------------------------------------------


LATEST_ROWS = 8


@tenant_role_required(Role.ADMIN, Role.USER, Role.ACCOUNTANT)
def dashboard(request):
    reseller = request.reseller
    now = timezone.now()
    # A User sees their own sales; Admin and Accountant the reseller's.
    actor = request.user if request.membership.role == Role.USER else None
    accounts = ledger_selectors.reseller_cash_accounts(reseller=reseller)
    money = {"reseller": reseller, "accounts": accounts, "actor": actor}
    latest = ledger_selectors.cashbook_rows(**money, newest_first=True)[:LATEST_ROWS]
    return render(
        request,
        "resellers/dashboard.html",
        {
            "counts": selectors.reseller_dashboard_counts(reseller=reseller),
            "accounts": accounts,
            "sales": ledger_selectors.reseller_sales_summary(**money, now=now),
            "chart": _sales_chart(ledger_selectors.reseller_daily_sales(**money, now=now)),
            "latest": LatestMovementsTable(latest, reseller_id=reseller.pk),
        },
    )


# --- Sub-resellers and credit transfers (the tenant) ------------------------------------------

_SUBRESELLER_ERRORS = {
    "flag-off": gettext_lazy(
        "The operator has not enabled sub-resellers for your company. Ask the operator's "
        "support to enable them."
    ),
    "too-deep": gettext_lazy(
        "Your company is already at the deepest level of sub-resellers the operator allows."
    ),
    "not-approved": gettext_lazy("Only an approved reseller can create sub-resellers."),
    "commission-too-high": gettext_lazy("A sub-reseller earns at most your own commission rate."),
    "child-too-deep": gettext_lazy(
        "The operator's depth limit does not allow this sub-reseller its own sub-resellers."
    ),
    "not-child": gettext_lazy("This is not one of your sub-resellers."),
    "bad-depth": gettext_lazy("Choose a depth limit the form offers."),
}
HISTORY_ROWS = 50


def _insufficient_message(exc: InsufficientFunds, parent) -> str:
    currency = exc.account.currency
    values = {"available": to_minor_unit(exc.available, currency), "currency": currency}
    if exc.account.reseller_id == parent.pk:
        return _("Your sales credit is too low: %(available)s %(currency)s available.") % values
    return (
        _(
            "The sub-reseller has only %(available)s %(currency)s of sales credit; you cannot "
            "take back more than that."
        )
        % values
    )


def _sales_chart(days) -> dict:
    """Bars for the last days' sales: each day's share of the highest, in percent."""
    top = max((total for _, total in days), default=0)
    bars = [
        {"day": day, "total": total, "height": round(total * 100 / top) if top else 0}
        for day, total in days
    ]
    return {"bars": bars, "top": top, "sum": sum((t for _, t in days), 0)}


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
            "refusal": _SUBRESELLER_ERRORS.get(allowance.reason, ""),
        },
    )


@tenant_role_required(Role.ADMIN)
def subreseller_create(request):
    parent = request.reseller
    allowance = selectors.subreseller_allowance(reseller=parent)
    if not allowance.allowed:
        messages.error(request, _SUBRESELLER_ERRORS[allowance.reason])
        return redirect("resellers:subreseller-list")
    form = SubresellerCreateForm(request.POST or None, parent=parent, allowance=allowance)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.subreseller_create(
                parent=parent, actor=request.user, **form.cleaned_data
            )
        except services.SubresellerError as exc:
            form.add_error(None, _SUBRESELLER_ERRORS[exc.code])
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
        services.subreseller_credit_transfer(
            parent=parent,
            actor=request.user,
            child_id=child.pk,
            amount=form.cleaned_data["amount"],
            note=form.cleaned_data["note"],
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
        )
    except InsufficientFunds as exc:
        form.add_error("amount", _insufficient_message(exc, parent))
        return _subreseller_page(request, child, form)
    except IdempotencyConflict:
        form.add_error(None, _("This form was already sent with other values. Enter it again."))
        form.data = form.data.copy()
        form.data["idempotency_key"] = str(uuid.uuid4())
        return _subreseller_page(request, child, form)
    amount = form.cleaned_data["amount"]
    values = {
        "amount": to_minor_unit(abs(amount), str(parent.currency)),
        "currency": parent.currency,
        "name": child.name,
    }
    if amount > 0:
        message = _("%(amount)s %(currency)s moved to %(name)s.") % values
    else:
        message = _("%(amount)s %(currency)s taken back from %(name)s.") % values
    messages.success(request, message)
    return redirect("resellers:subreseller-detail", pk=child.pk)


# --- Operator staff ---------------------------------------------------------------------------


@operator_staff_required
def staff_dashboard(request):
    return render(
        request,
        "resellers/staff_dashboard.html",
        {
            "status_counts": selectors.staff_reseller_status_counts(),
            "recent_events": selectors.staff_audit_event_list()[:10],
        },
    )


@operator_staff_required
def staff_reseller_list(request):
    filterset = StaffResellerFilter(request.GET, queryset=selectors.staff_reseller_list())
    table = paginated(request, StaffResellerTable(filtered(filterset)))
    return render(
        request, "resellers/staff_reseller_list.html", {"table": table, "filter": filterset}
    )


def _staff_reseller_page(request, pk: int, *, credit_form=None, policy_form=None):
    try:
        reseller = selectors.staff_reseller_get(pk=pk)
    except Reseller.DoesNotExist:
        raise Http404 from None
    events = AuditEventTable(
        selectors.audit_event_list(reseller=reseller)[:20], orderable=False, exclude=("reseller",)
    )
    return render(
        request,
        "resellers/staff_reseller_detail.html",
        {
            "reseller": reseller,
            "events": events,
            "suspend_form": SuspendForm(),
            "children": selectors.sub_reseller_list(reseller=reseller),
            "credit_form": credit_form
            or StaffCreditForm(currency=str(reseller.currency), prefix="credit"),
            "policy_form": policy_form
            or SubresellerPolicyForm(
                prefix="policy",
                initial={
                    "may_create_subresellers": reseller.may_create_subresellers,
                    "subreseller_depth_limit": reseller.subreseller_depth_limit,
                },
            ),
            "history": reseller_recent_entries(
                reseller=reseller, kind=Kind.SALES_CREDIT, limit=HISTORY_ROWS
            ),
        },
    )


@operator_staff_required
def staff_reseller_detail(request, pk: int):
    return _staff_reseller_page(request, pk)


@require_POST
@operator_staff_required
def staff_reseller_policy(request, pk: int):
    """Allow or stop sub-resellers for a reseller, with the depth limit of its tree."""
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    form = SubresellerPolicyForm(request.POST, prefix="policy")
    if not form.is_valid():
        return _staff_reseller_page(request, pk, policy_form=form)
    try:
        services.reseller_subreseller_policy_set(
            reseller_id=reseller.pk,
            actor=request.user,
            may_create=form.cleaned_data["may_create_subresellers"],
            depth_limit=form.cleaned_data["subreseller_depth_limit"],
        )
    except services.SubresellerError as exc:
        messages.error(request, _SUBRESELLER_ERRORS[exc.code])
    else:
        messages.success(request, _("The sub-reseller settings are saved."))
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@require_POST
@operator_staff_required
def staff_reseller_credit(request, pk: int):
    """Credit or debit a reseller's sales credit against the operator's bank, with a reason."""
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    form = StaffCreditForm(request.POST, currency=str(reseller.currency), prefix="credit")
    if not form.is_valid():
        return _staff_reseller_page(request, pk, credit_form=form)
    try:
        services.reseller_credit_adjust(
            reseller_id=reseller.pk,
            actor=request.user,
            direction=form.cleaned_data["direction"],
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
        )
    except InsufficientFunds as exc:
        form.add_error(
            "amount",
            _("The sales credit is only %(available)s %(currency)s; it cannot go below zero.")
            % {
                "available": to_minor_unit(exc.available, exc.account.currency),
                "currency": exc.account.currency,
            },
        )
        return _staff_reseller_page(request, pk, credit_form=form)
    except IdempotencyConflict:
        form.add_error(None, _("This form was already sent with other values. Enter it again."))
        form.data = form.data.copy()
        form.data[form.add_prefix("idempotency_key")] = str(uuid.uuid4())
        return _staff_reseller_page(request, pk, credit_form=form)
    if reseller.status == Reseller.Status.APPLIED:
        messages.info(
            request,
            _("%(name)s is not approved yet: the amount is on its pending account.")
            % {"name": reseller.name},
        )
    verb = _("credited") if form.cleaned_data["direction"] == "credit" else _("debited")
    messages.success(
        request,
        _("%(name)s is %(verb)s %(amount)s %(currency)s.")
        % {
            "name": reseller.name,
            "verb": verb,
            "amount": to_minor_unit(form.cleaned_data["amount"], str(reseller.currency)),
            "currency": reseller.currency,
        },
    )
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


_STATE_ERRORS = {
    "already-suspended": gettext_lazy("This reseller is already suspended."),
    "not-approved": gettext_lazy("Only an approved reseller can be suspended."),
    "not-suspended": gettext_lazy("This reseller is not suspended."),
}


@require_POST
@operator_staff_required
def staff_reseller_suspend(request, pk: int):
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the suspension."))
        return redirect("resellers:staff-reseller-detail", pk=reseller.pk)
    try:
        services.reseller_suspend(
            reseller_id=reseller.pk, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.ResellerStateError as exc:
        messages.error(request, _STATE_ERRORS[str(exc)])
    else:
        messages.success(request, _("%(name)s is suspended.") % {"name": reseller.name})
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@require_POST
@operator_staff_required
def staff_reseller_reactivate(request, pk: int):
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    try:
        services.reseller_reactivate(reseller_id=reseller.pk, actor=request.user)
    except services.ResellerStateError as exc:
        messages.error(request, _STATE_ERRORS[str(exc)])
    else:
        messages.success(request, _("%(name)s is active again.") % {"name": reseller.name})
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@operator_staff_required
def staff_audit_list(request):
    filterset = AuditEventFilter(request.GET, queryset=selectors.staff_audit_event_list())
    table = paginated(request, AuditEventTable(filtered(filterset)))
    return render(request, "resellers/staff_audit_list.html", {"table": table, "filter": filterset})


# --- Applications -----------------------------------------------------------------------------


@public
def terms(request):
    """The reseller terms in force, for anybody to read before applying."""
    return render(request, "resellers/terms.html", {"terms": selectors.terms_current()})


@public
def apply(request):
    """A company applies as a reseller; on success the applicant is signed in at once."""
    current = selectors.terms_current()
    if request.method == "POST" and not request.user.is_authenticated:
        form = ApplicationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reseller = services.reseller_apply(
                    legal_name=data["legal_name"],
                    name=data["name"],
                    country=data["country"],
                    address_line=data["address_line"],
                    postal_code=data["postal_code"],
                    city=data["city"],
                    vat_id=data["vat_id"],
                    tax_id=data["tax_id"],
                    phone=data["phone"],
                    email=data["email"],
                    website=data["website"],
                    contact_person=data["contact_person"],
                    password=data["password1"],
                    currency=data["currency"],
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                    terms_version=data["terms_version"],
                    accepted_terms=data["accept_terms"],
                    ip_address=request.META.get("REMOTE_ADDR"),
                )
            except services.ApplicationInvalid as exc:
                form.add_service_errors(exc.errors)
            else:
                _sign_in_applicant(request, reseller)
                messages.success(
                    request,
                    _(
                        "Thank you: your application is in. We sent you an e-mail to confirm "
                        "your address; the operator reviews your company, usually within 7 days."
                    ),
                )
                return redirect("resellers:application")
    else:
        form = ApplicationForm(initial={"terms_version": current.version if current else None})
    return render(request, "resellers/apply.html", {"form": form, "terms": current})


def _sign_in_applicant(request, reseller) -> None:
    """Sign the new Admin in now and send allauth's confirmation of the e-mail address."""
    membership = reseller.memberships.select_related("user").get()
    user = membership.user
    login(request, user, backend="accounts.backends.ModelBackend")
    request.session[SESSION_KEY] = reseller.pk
    address = EmailAddress.objects.get(user=user, primary=True)
    address.send_confirmation(request, signup=True)


@tenant_role_required(Role.ADMIN, Role.USER, Role.ACCOUNTANT, applicants=True)
def application(request):
    """The reseller's application: what is done, what is pending, the VIES result."""
    reseller = request.reseller
    return render(
        request,
        "resellers/application.html",
        {
            **selectors.application_detail(reseller=reseller),
            "email_verified": EmailAddress.objects.filter(
                user=request.user, email__iexact=request.user.email, verified=True
            ).exists(),
            "vat_form": VatIdForm(initial={"vat_id": reseller.vat_id}),
            "treatment": reseller.vat_treatment,
        },
    )


@require_POST
@tenant_role_required(Role.ADMIN, applicants=True)
def application_vat_id(request):
    form = VatIdForm(request.POST)
    if form.is_valid():
        try:
            services.reseller_vat_id_change(
                reseller_id=request.reseller.pk,
                actor=request.user,
                vat_id=form.cleaned_data["vat_id"],
            )
        except services.ApplicationInvalid as exc:
            for message in exc.errors["vat_id"]:
                messages.error(request, message)
        else:
            messages.success(request, _("The VAT ID is saved; VIES is asked about it."))
    return redirect("resellers:application")


@operator_staff_required
def staff_application_list(request):
    filterset = StaffApplicationFilter(request.GET, queryset=selectors.staff_application_list())
    table = paginated(request, StaffApplicationTable(filtered(filterset)))
    return render(
        request, "resellers/staff_application_list.html", {"table": table, "filter": filterset}
    )


@operator_staff_required
def staff_application_detail(request, pk: int):
    reseller = get_object_or_404(selectors.staff_application_list(), pk=pk)
    return render(
        request,
        "resellers/staff_application_detail.html",
        {
            "reseller": reseller,
            "age_days": (timezone.now() - reseller.created_at).days,
            "reminder_days": services.REMINDER_AFTER_DAYS,
            "overdue_days": services.OVERDUE_AFTER_DAYS,
            "treatment": reseller.vat_treatment,
            "reject_form": RejectForm(),
            **selectors.staff_application_detail(reseller=reseller),
        },
    )


_APPLICATION_ERRORS = {
    "not-applied": gettext_lazy("This application was already decided."),
    "reason-required": gettext_lazy("Give a reason for the rejection."),
    "no-vat-id": gettext_lazy("This company has no EU VAT ID to check."),
}


@require_POST
@operator_staff_required
def staff_application_approve(request, pk: int):
    reseller = get_object_or_404(selectors.staff_application_list(), pk=pk)
    try:
        services.reseller_approve(reseller_id=reseller.pk, actor=request.user)
    except services.ResellerStateError as exc:
        messages.error(request, _APPLICATION_ERRORS[str(exc)])
    else:
        messages.success(
            request, _("%(name)s is approved; the applicant is told.") % {"name": reseller.name}
        )
    return redirect("resellers:staff-application-detail", pk=reseller.pk)


@require_POST
@operator_staff_required
def staff_application_reject(request, pk: int):
    reseller = get_object_or_404(selectors.staff_application_list(), pk=pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _APPLICATION_ERRORS["reason-required"])
        return redirect("resellers:staff-application-detail", pk=reseller.pk)
    try:
        services.reseller_reject(
            reseller_id=reseller.pk, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.ResellerStateError as exc:
        messages.error(request, _APPLICATION_ERRORS[str(exc)])
    else:
        messages.success(
            request, _("%(name)s is rejected; the applicant is told.") % {"name": reseller.name}
        )
    return redirect("resellers:staff-application-detail", pk=reseller.pk)


@require_POST
@operator_staff_required
def staff_application_vies_recheck(request, pk: int):
    reseller = get_object_or_404(selectors.staff_application_list(), pk=pk)
    try:
        services.vat_check_request(reseller_id=reseller.pk, actor=request.user)
    except services.ResellerStateError as exc:
        messages.error(request, _APPLICATION_ERRORS[str(exc)])
    else:
        messages.success(request, _("VIES is asked again."))
    return redirect("resellers:staff-application-detail", pk=reseller.pk)


@operator_staff_required
def staff_terms_list(request):
    """The versions of the reseller terms; publishing adds a new version."""
    form = TermsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        terms = services.terms_publish(actor=request.user, **form.cleaned_data)
        messages.success(
            request, _("Version %(version)s is published.") % {"version": terms.version}
        )
        return redirect("resellers:staff-terms-list")
    table = paginated(request, TermsTable(selectors.staff_terms_list()))
    return render(
        request,
        "resellers/staff_terms_list.html",
        {"table": table, "form": form, "current": selectors.terms_current()},
    )


# --- Branding and own hostname (reseller Admin) -----------------------------------------------


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@tenant_role_required(Role.ADMIN)
def branding(request):
    reseller = request.reseller
    current = selectors.branding_for(reseller=reseller)
    initial = {
        "display_name": current.display_name if current else "",
        "header_colour": current.header_colour if current else brand.DEFAULT_COLOURS["header"],
        "background_colour": (
            current.background_colour if current else brand.DEFAULT_COLOURS["background"]
        ),
        "text_colour": current.text_colour if current else brand.DEFAULT_COLOURS["text"],
    }
    form = BrandingForm(initial=initial)
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.branding_update(
                    reseller=reseller,
                    actor=request.user,
                    display_name=data["display_name"],
                    header_colour=data["header_colour"],
                    background_colour=data["background_colour"],
                    text_colour=data["text_colour"],
                    logo=data["logo"],
                    remove_logo=data["remove_logo"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                for warning in result.warnings:
                    messages.warning(request, warning)
                if result.changed:
                    messages.success(request, _("Your branding is saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("resellers:branding")
    hostname = selectors.hostname_for(reseller=reseller)
    theme = brand.theme_for(reseller=reseller, branding=current)
    return render(
        request,
        "resellers/branding.html",
        {
            "form": form,
            "current": current,
            "theme": theme,
            "contrast": brand.contrast_ratio(theme.background, theme.text),
            "contrast_ok": brand.contrast_ratio(theme.background, theme.text) >= brand.MIN_CONTRAST,
            "hostname": hostname,
            "hostname_form": HostnameForm(),
            "portal_ips": settings.PORTAL_PUBLIC_IPS,
            "fee": services.hostname_fee(reseller=reseller),
            "sales_credit": selectors.reseller_sales_credit(reseller=reseller)
            if hostname and hostname.status != hostname.Status.ACTIVE
            else None,
            "currency": reseller.currency,
        },
    )


@require_POST
@tenant_role_required(Role.ADMIN)
def hostname_request(request):
    form = HostnameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a host name, e.g. portal.example.com."))
        return redirect("resellers:branding")
    try:
        record = services.hostname_request(
            reseller=request.reseller, actor=request.user, hostname=form.cleaned_data["hostname"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except services.HostnameError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Now create the A record for %(name)s, then check its DNS.")
            % {"name": record.hostname},
        )
    return redirect("resellers:branding")


@require_POST
@tenant_role_required(Role.ADMIN)
def hostname_check(request):
    try:
        check = services.hostname_check_dns(reseller=request.reseller, actor=request.user)
    except services.HostnameError as exc:
        messages.error(request, str(exc))
    else:
        (messages.success if check.ok else messages.error)(request, check.message)
    return redirect("resellers:branding")


@require_POST
@tenant_role_required(Role.ADMIN)
def hostname_activate(request):
    try:
        record = services.hostname_activate(reseller=request.reseller, actor=request.user)
    except services.HostnameError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s is active: your customers can sign in there.") % {"name": record.hostname},
        )
    return redirect("resellers:branding")


@require_POST
@tenant_role_required(Role.ADMIN)
def hostname_remove(request):
    try:
        services.hostname_remove(reseller=request.reseller, actor=request.user)
    except services.HostnameError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The host name is removed."))
    return redirect("resellers:branding")


# --- Advertising material (reseller Admin and User; operator staff) ----------------------------


def _history_rows(events) -> list[dict]:
    """Audit rows of a request as lines people read: when, what, the operator's note."""
    rows = []
    for event in events:
        if event.action == "advertising.requested":
            label = _("Requested")
        else:
            label = AdvertisingRequest.Status(event.data.get("to")).label
        rows.append({"at": event.at, "label": label, "note": event.data.get("note", "")})
    return rows


@tenant_role_required(Role.ADMIN, Role.USER)
def advertising_list(request):
    table = paginated(
        request,
        AdvertisingRequestTable(selectors.advertising_request_list(reseller=request.reseller)),
    )
    return render(request, "resellers/advertising_list.html", {"table": table})


@tenant_role_required(Role.ADMIN, Role.USER)
def advertising_create(request):
    reseller = request.reseller
    form = AdvertisingRequestForm(
        initial={
            "kind": AdvertisingRequest.Kind.LEAFLET,
            "recipient": reseller.legal_name,
            "address_line": reseller.address_line,
            "postal_code": reseller.postal_code,
            "city": reseller.city,
            "country": reseller.country,
        }
    )
    if request.method == "POST":
        form = AdvertisingRequestForm(request.POST)
        if form.is_valid():
            try:
                created = services.advertising_request_create(
                    reseller=reseller, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Request #%(id)s is sent. We will tell you here when it ships.")
                    % {"id": created.pk},
                )
                return redirect("resellers:advertising-detail", pk=created.pk)
    return render(request, "resellers/advertising_form.html", {"form": form})


@tenant_role_required(Role.ADMIN, Role.USER)
def advertising_detail(request, pk: int):
    reseller = request.reseller
    item = get_object_or_404(selectors.advertising_request_list(reseller=reseller), pk=pk)
    history = _history_rows(
        selectors.advertising_request_history(reseller=reseller, advertising_request=item)
    )
    return render(request, "resellers/advertising_detail.html", {"item": item, "history": history})


@operator_staff_required
def staff_advertising_list(request):
    filterset = StaffAdvertisingRequestFilter(
        request.GET, queryset=selectors.staff_advertising_request_list()
    )
    table = paginated(request, StaffAdvertisingRequestTable(filtered(filterset)))
    return render(
        request, "resellers/staff_advertising_list.html", {"table": table, "filter": filterset}
    )


@operator_staff_required
def staff_advertising_detail(request, pk: int):
    item = get_object_or_404(selectors.staff_advertising_request_list(), pk=pk)
    history = _history_rows(
        selectors.advertising_request_history(reseller=item.reseller, advertising_request=item)
    )
    return render(
        request,
        "resellers/staff_advertising_detail.html",
        {
            "item": item,
            "history": history,
            "form": AdvertisingStatusForm(advertising_request=item),
        },
    )


@require_POST
@operator_staff_required
def staff_advertising_status(request, pk: int):
    item = get_object_or_404(selectors.staff_advertising_request_list(), pk=pk)
    form = AdvertisingStatusForm(request.POST, advertising_request=item)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect("resellers:staff-advertising-detail", pk=item.pk)
    try:
        updated = services.advertising_request_set_status(
            request_id=item.pk,
            actor=request.user,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
    except services.AdvertisingStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Request #%(id)s is now “%(status)s”.")
            % {"id": updated.pk, "status": updated.get_status_display()},
        )
    return redirect("resellers:staff-advertising-detail", pk=item.pk)
