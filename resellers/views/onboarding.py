"""Onboarding: the public terms and application form, the applicant's own page, and the
staff review queue (approve, reject, ask VIES again, publish terms)."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required, public, tenant_role_required
from accounts.models import Role
from accounts.tenancy import SESSION_KEY
from core.errors import show_error
from core.net import client_ip
from core.ui import filtered, paginated
from resellers import selectors
from resellers.filters import (
    StaffApplicationFilter,
)
from resellers.forms import (
    ApplicationForm,
    ApprovalForm,
    RejectForm,
    TermsForm,
    VatIdForm,
)
from resellers.services import lifecycle, onboarding
from resellers.services.commission import CommissionPlanError
from resellers.tables import (
    StaffApplicationTable,
    TermsTable,
)

# --- Sales Panel (the tenant) -----------------------------------------------------------------


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
                reseller = onboarding.reseller_apply(
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
                    ip_address=client_ip(request),
                )
            except onboarding.ApplicationInvalid as exc:
                show_error(request, exc, form)
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
def application_terms_accept(request):
    """The Admin accepts the terms in force from the company page."""
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        onboarding.terms_accept(
            reseller_id=request.reseller.pk,
            actor=request.user,
            version=version,
            ip_address=client_ip(request),
        )
    except onboarding.ApplicationInvalid as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("The terms are accepted."))
    return redirect("resellers:application")


@require_POST
@tenant_role_required(Role.ADMIN, applicants=True)
def application_vat_id(request):
    form = VatIdForm(request.POST)
    if form.is_valid():
        try:
            onboarding.reseller_vat_id_change(
                reseller_id=request.reseller.pk,
                actor=request.user,
                vat_id=form.cleaned_data["vat_id"],
            )
        except onboarding.ApplicationInvalid as exc:
            show_error(request, exc)
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


def _application_page(request, reseller, *, detail=None, approve_form=None):
    detail = detail or selectors.staff_application_detail(reseller=reseller)
    return render(
        request,
        "resellers/staff_application_detail.html",
        {
            "reseller": reseller,
            "age_days": (timezone.now() - reseller.created_at).days,
            "reminder_days": onboarding.REMINDER_AFTER_DAYS,
            "overdue_days": onboarding.OVERDUE_AFTER_DAYS,
            "treatment": reseller.vat_treatment,
            "reject_form": RejectForm(),
            "plan_form": approve_form or ApprovalForm(prefix="plan"),
            **detail,
        },
    )


@operator_staff_required
def staff_application_detail(request, pk: int):
    reseller = get_object_or_404(selectors.staff_application_list(), pk=pk)
    return _application_page(request, reseller)


@require_POST
@operator_staff_required
def staff_application_approve(request, pk: int):
    """Approve with the commission plan that starts today; with warnings (VIES pending,
    e-mail not confirmed), only when "Approve anyway" is ticked."""
    reseller = get_object_or_404(selectors.staff_application_list(), pk=pk)
    detail = selectors.staff_application_detail(reseller=reseller)
    form = ApprovalForm(request.POST, prefix="plan")
    if not form.is_valid():
        messages.error(request, _("Not approved: enter the commission plan first."))
        return _application_page(request, reseller, detail=detail, approve_form=form)
    if detail["approval_warnings"] and request.POST.get("confirm") != "yes":
        messages.error(
            request,
            _("Not approved: read the warnings, then tick “Approve anyway” to approve %(name)s.")
            % {"name": reseller.name},
        )
        return _application_page(request, reseller, detail=detail, approve_form=form)
    plan = form.plan()
    try:
        onboarding.reseller_approve(
            reseller_id=reseller.pk,
            actor=request.user,
            commission_rate=plan["rate"],
            commission_tiers=plan["tiers"],
            commission_note=plan["note"],
        )
    except CommissionPlanError as exc:
        show_error(request, exc, form)
        return _application_page(request, reseller, detail=detail, approve_form=form)
    except lifecycle.ResellerStateError as exc:
        show_error(request, exc)
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
        messages.error(request, lifecycle.ResellerStateError.message_for("reason-required"))
        return redirect("resellers:staff-application-detail", pk=reseller.pk)
    try:
        onboarding.reseller_reject(
            reseller_id=reseller.pk, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except lifecycle.ResellerStateError as exc:
        show_error(request, exc)
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
        onboarding.vat_check_request(reseller_id=reseller.pk, actor=request.user)
    except lifecycle.ResellerStateError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("VIES is asked again."))
    return redirect("resellers:staff-application-detail", pk=reseller.pk)


@operator_staff_required
def staff_terms_list(request):
    """The versions of the reseller terms; publishing adds a new version."""
    form = TermsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        terms = onboarding.terms_publish(actor=request.user, **form.cleaned_data)
        messages.success(
            request, _("Version %(version)s is published.") % {"version": terms.version}
        )
        return redirect("resellers:staff-terms-list")
    table = paginated(request, TermsTable(selectors.staff_terms_list()))
    current = selectors.terms_current()
    pending = selectors.terms_not_accepted_count(terms=current) if current else 0
    return render(
        request,
        "resellers/staff_terms_list.html",
        {"table": table, "form": form, "current": current, "not_accepted": pending},
    )
