"""Django's admin, for operator superusers: sign-in goes through allauth (with MFA)."""

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext_lazy as _


def secure_admin(site: AdminSite) -> None:
    site.site_header = _("Tessera administration")
    site.site_title = _("Tessera administration")

    def has_permission(request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and is_mfa_enabled(user)

    def login(request, extra_context=None):
        return redirect_to_login(request.get_full_path())

    site.has_permission = has_permission
    site.login = login
