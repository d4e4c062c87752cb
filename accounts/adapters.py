"""allauth's adapter: account e-mails rendered in the request, sent after commit, with links
on the portal's canonical origin.

allauth builds its links (password reset, e-mail confirmation, sign-up) from the request's
Host header, which the client writes. `send_mail` moves every such link onto the origin
`mail_origin` chooses, so a request sent with another host can never mail a link to it.
Here that is always settings.PORTAL_ORIGIN; customers.adapters allows a reseller's own
hostname for the people who belong to that reseller.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django.conf import settings
from django.core.exceptions import PermissionDenied

from accounts.tasks import email_send
from core.net import client_ip, portal_origin
from core.phones import InvalidPhoneNumber, phone_normalise
from core.queue import enqueue_on_commit

# The e-mails a password-reset request sends: to the account's address, or the "no account
# here" answer. They are bounded per address ("reset_password_email" in ACCOUNT_RATE_LIMITS)
# instead of refusing the request per address, which would let anyone block a known person's
# reset; a person whose e-mails were held back already has the earlier, still valid, links.
RESET_EMAILS = frozenset({"account/email/password_reset_key", "account/email/unknown_account"})


@dataclass(frozen=True)
class MailSite:
    """What allauth's mail templates call `current_site`: the name they greet with and the
    domain they sign with."""

    name: str
    domain: str


def links_moved(context: dict, *, request_host: str, origin: str) -> dict:
    """`context` with every absolute http(s) link on `request_host` moved to `origin`."""
    moved = dict(context)
    for key, value in context.items():
        if not isinstance(value, str):
            continue
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.netloc.lower() == request_host.lower():
            moved[key] = origin + value[len(f"{parts.scheme}://{parts.netloc}") :]
    return moved


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.TESSERA_SIGNUP_OPEN

    def mail_origin(self, request, user) -> tuple[str, str]:
        """The origin links in a mail to `user` (None: nobody known) are built on, and the name
        the mail is signed with."""
        return portal_origin(), settings.SITE_NAME

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (the request's language), send from a task after commit."""
        request = allauth_context.request
        if template_prefix in RESET_EMAILS and not ratelimit.consume(
            context.get("request") or request, action="reset_password_email", key=email.lower()
        ):
            return
        origin, name = self.mail_origin(request, context.get("user"))
        self._mail_name = name
        if request is not None:
            context = links_moved(context, request_host=request.get_host(), origin=origin)
        context = {
            **context,
            "email": email,
            "current_site": MailSite(name=name, domain=urlsplit(origin).netloc),
        }
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
        enqueue_on_commit(email_send, payload)  # broker down: logged; the person asks again

    def format_email_subject(self, subject: str) -> str:
        """ "[Tessera] Password Reset", or with the reseller's name on its own hostname."""
        return f"[{getattr(self, '_mail_name', settings.SITE_NAME)}] {subject}"

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
        A customer's mobile number counts in E.164, however it was typed. The host is not
        part of it: the same account is the same account on every host the portal answers."""
        login = credentials.get("email") or credentials.get("username") or ""
        if not login and credentials.get("phone"):
            try:
                login = phone_normalise(credentials["phone"])
            except InvalidPhoneNumber:
                login = credentials["phone"].strip()
        return f"login:{login.lower()}:{self.get_client_ip(request)}"
