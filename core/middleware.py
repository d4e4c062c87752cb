"""Response headers every page gets, and the request size the app accepts.

`SecurityHeadersMiddleware` adds `Permissions-Policy` (settings.PERMISSIONS_POLICY) to every
response and `Cache-Control: no-store, private` to every response for a signed-in user, pages
and downloads alike, so no shared or browser cache keeps them. Public pages keep their own
caching; static files never reach a signed-in check (whitenoise answers them first).

`RequestSizeLimitMiddleware` refuses a body larger than settings.MAX_REQUEST_BYTES by its
Content-Length, before anything reads it (413), and a body without Content-Length (chunked
transfer coding) outright (411): Django would read such a body as empty, and the proxy in
front always sends a length.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

NO_STORE = "no-store, private"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers["Cache-Control"] = NO_STORE
        return response


def _plain(message: str, status: int) -> HttpResponse:
    # Plain text: the body is refused before the session, the user or the template context
    # exist; the language is already chosen (LocaleMiddleware runs first).
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = self.refusal(request)
        return refused if refused is not None else self.get_response(request)

    @staticmethod
    def refusal(request) -> HttpResponse | None:
        limit = settings.MAX_REQUEST_BYTES_BY_PATH.get(
            request.path_info, settings.MAX_REQUEST_BYTES
        )
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return _plain(
                _("The request was sent without a length; send it again with its size."),
                411,
            )
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return _plain(_("The request's length is not a number."), 400)
        if length > limit:
            return _plain(
                _(
                    "The request is too large (%(size)s): at most %(limit)s can be sent at "
                    "once. Choose a smaller file and try again."
                )
                % {"size": filesizeformat(length), "limit": filesizeformat(limit)},
                413,
            )
        return None
