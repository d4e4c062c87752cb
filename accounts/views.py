from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts import services
from accounts.access import public, signed_in_required, tenant_role_required
from accounts.forms import AcceptNewUserForm, InviteForm, RoleForm
from accounts.models import Invitation, Role
from accounts.selectors import (
    invitation_for_token,
    invitation_open_list,
    membership_list,
    user_exists,
)
from accounts.tables import InvitationTable, MembershipTable
from accounts.tenancy import SESSION_KEY
from core.errors import show_error
from core.ui import paginated


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@signed_in_required
def tenant_choose(request):
    """The resellers the user belongs to; choosing one keeps it in the session."""
    return render(
        request,
        "accounts/tenant_choose.html",
        {"memberships": request.memberships, "next": _safe_next(request, "")},
    )


@require_POST
@signed_in_required
def tenant_switch(request):
    """Switch to another reseller the user belongs to. Anybody else's id is a 404."""
    raw = request.POST.get("reseller", "")
    chosen = next((m for m in request.memberships if str(m.reseller_id) == raw.strip()), None)
    if chosen is None:
        raise Http404(_("You are not a member of this reseller."))
    request.session[SESSION_KEY] = chosen.reseller_id
    messages.success(request, _("You are now working in %(name)s.") % {"name": chosen.reseller})
    return redirect(_safe_next(request, "resellers:dashboard"))


# --- Team administration (Admins) -------------------------------------------------------------

INVITATIONS_SHOWN = 50


def _member_page(request, invite_form=None, status: int = 200):
    table = paginated(request, MembershipTable(membership_list(reseller=request.reseller)))
    invitations = InvitationTable(
        invitation_open_list(reseller=request.reseller)[:INVITATIONS_SHOWN], orderable=False
    )
    return render(
        request,
        "accounts/member_list.html",
        {
            "table": table,
            "invitations": invitations,
            "invite_form": invite_form or InviteForm(),
        },
        status=status,
    )


@tenant_role_required(Role.ADMIN)
def member_list(request):
    return _member_page(request)


@require_POST
@tenant_role_required(Role.ADMIN)
def member_invite(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _member_page(request, form)
    try:
        invitation = services.invitation_create(
            reseller=request.reseller,
            actor=request.user,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
    except services.TeamError as exc:
        show_error(request, exc, form)
        return _member_page(request, form)
    messages.success(
        request, _("An invitation is on its way to %(email)s.") % {"email": invitation.email}
    )
    return redirect("accounts:member-list")


def _team_action(request, action, **kwargs):
    try:
        action(reseller=request.reseller, actor=request.user, **kwargs)
    except services.TeamError as exc:
        show_error(request, exc)
        return False
    return True


@require_POST
@tenant_role_required(Role.ADMIN)
def member_role(request, pk: int):
    membership = get_object_or_404(membership_list(reseller=request.reseller), pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, services.TeamError.message_for("bad-role"))
    elif _team_action(
        request,
        services.membership_role_change,
        membership_id=membership.pk,
        role=form.cleaned_data["role"],
    ):
        messages.success(
            request,
            _("%(user)s is now %(role)s.")
            % {"user": membership.user, "role": Role(form.cleaned_data["role"]).label},
        )
    return redirect("accounts:member-list")


@require_POST
@tenant_role_required(Role.ADMIN)
def member_deactivate(request, pk: int):
    membership = get_object_or_404(membership_list(reseller=request.reseller), pk=pk)
    if _team_action(request, services.membership_deactivate, membership_id=membership.pk):
        messages.success(request, _("%(user)s is deactivated.") % {"user": membership.user})
    return redirect("accounts:member-list")


@require_POST
@tenant_role_required(Role.ADMIN)
def member_reactivate(request, pk: int):
    membership = get_object_or_404(membership_list(reseller=request.reseller), pk=pk)
    if _team_action(request, services.membership_reactivate, membership_id=membership.pk):
        messages.success(request, _("%(user)s is active again.") % {"user": membership.user})
    return redirect("accounts:member-list")


@require_POST
@tenant_role_required(Role.ADMIN)
def invitation_revoke(request, pk: int):
    invitation = get_object_or_404(invitation_open_list(reseller=request.reseller), pk=pk)
    if _team_action(request, services.invitation_revoke, invitation_id=invitation.pk):
        messages.success(
            request, _("The invitation to %(email)s is revoked.") % {"email": invitation.email}
        )
    return redirect("accounts:member-list")


@require_POST
@tenant_role_required(Role.ADMIN)
def invitation_resend(request, pk: int):
    invitation = get_object_or_404(invitation_open_list(reseller=request.reseller), pk=pk)
    if _team_action(
        request,
        services.invitation_resend,
        invitation_id=invitation.pk,
    ):
        messages.success(
            request, _("A new link is on its way to %(email)s.") % {"email": invitation.email}
        )
    return redirect("accounts:member-list")


# --- Accepting an invitation (the link in the e-mail) -----------------------------------------


def _joined(request, membership):
    request.session[SESSION_KEY] = membership.reseller_id
    messages.success(
        request,
        _("Welcome to %(name)s. You work here as %(role)s.")
        % {"name": membership.reseller.name, "role": membership.get_role_display()},
    )
    return redirect("resellers:dashboard")


@public
@require_POST
def language_set(request):
    """The language switcher: Django's `set_language` (a cookie, for everyone), and the
    signed-in person's own setting, which decides their pages wherever they sign in."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.user_language_set(user=request.user, language=language)
    return response


@public
def invitation_accept(request, token: str):
    """Public: the token is the key. A signed-in person must be the one invited."""
    invitation = invitation_for_token(token=token)
    if invitation is None:
        raise Http404(services.TeamError.message_for("invitation-unknown"))
    context = {"invitation": invitation}
    status = invitation.status_at(timezone.now())
    if status != Invitation.Status.PENDING:
        context["problem"] = services.TeamError.message_for(f"invitation-{status}")
        return render(request, "accounts/invitation_accept.html", context, status=410)
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            context["problem"] = services.TeamError.message_for("wrong-account")
            return render(request, "accounts/invitation_accept.html", context, status=403)
        if request.method == "POST":
            try:
                membership = services.invitation_accept_existing_user(token=token, user=user)
            except services.TeamError as exc:
                show_error(request, exc)
            else:
                return _joined(request, membership)
        return render(request, "accounts/invitation_accept.html", context)
    if user_exists(email=invitation.email):
        context["sign_in_first"] = True
        return render(request, "accounts/invitation_accept.html", context)
    form = AcceptNewUserForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept_new_user(
                token=token,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except services.TeamError as exc:
            show_error(request, exc, form)
        else:
            login(request, membership.user, backend="accounts.backends.ModelBackend")
            return _joined(request, membership)
    context["form"] = form
    return render(request, "accounts/invitation_accept.html", context)
