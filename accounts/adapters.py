from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.tasks import email_send
from core.net import client_ip
from core.phones import InvalidPhoneNumber, phone_normalise

# The e-mails a password-reset request sends: to the account's address, or the "no account
# here" answer. They are bounded per address ("reset_password_email" in ACCOUNT_RATE_LIMITS)
# instead of refusing the request per address, which would let anyone block a known person's
# reset; a person whose e-mails were held back already has the earlier, still valid, links.
RESET_EMAILS = frozenset({"account/email/password_reset_key", "account/email/unknown_account"})


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.TESSERA_SIGNUP_OPEN

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (the request's language and site), send from a task after commit."""
        if template_prefix in RESET_EMAILS and not ratelimit.consume(
            context.get("request") or self.request, action="reset_password_email", key=email.lower()
        ):
            return
        message = self.render_mail(template_prefix, email, context)
        payload = {
            "subject": message.subject,
            "body": message.body,
            "from_email": message.from_email,
            "to": list(message.to),
            "cc": list(message.cc),
            "bcc": list(message.bcc),
            "reply_to": list(message.reply_to),
            "headers": dict(message.extra_headers),
            "alternatives": [list(a) for a in getattr(message, "alternatives", [])],
        }
        transaction.on_commit(lambda: email_send.delay(payload))

    # --- Rate limits: who the client is, and whose failures count together ---------------------

    def get_client_ip(self, request) -> str:
        """The client's address for allauth's per-address limits: core.net.client_ip, the one
        rule of the portal (TRUSTED_PROXY_COUNT proxies append to X-Forwarded-For)."""
        ip = client_ip(request)
        if ip is None:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The key of the "key" part of the failed-login limit (allauth's pre_authenticate,
        and the clearing after a password reset): the account together with the client's
        address, so failures from one address never lock the account out for its owner
        elsewhere; the per-address part still bounds each address over all accounts.
        A customer's mobile number counts in E.164, however it was typed."""
        login = credentials.get("email") or credentials.get("username") or ""
        if not login and credentials.get("phone"):
            try:
                login = phone_normalise(credentials["phone"])
            except InvalidPhoneNumber:
                login = credentials["phone"].strip()
        site = get_current_site(request)
        return f"{site.domain}:{login.lower()}:{self.get_client_ip(request)}"
