from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from accounts.tasks import email_send
from core.queue import enqueue_on_commit


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.TESSERA_SIGNUP_OPEN

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (the request's language and site), send from a task after commit."""
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
