"""The one error contract of the domain.

Services raise subclasses of `DomainError`. Each carries
- `code`: a stable machine name (the JSON API returns it; tests may assert it);
- `message`: a lazily translated sentence the person who acted can act on, formatted with the
  keyword arguments given when raised (`%(available)s`), translated when it is shown;
- `field`: the form field it belongs to, or None for the whole form or page.

Views show it with `show_error` (a field error when the form has that field, else a message);
an API maps it with `error_payload`. Nothing maps codes to messages anywhere else.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: str = "error"
    message: str | Promise = _("This cannot be done.")
    field: str | None = None

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        **params: Any,
    ):
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        if field is not None:
            self.field = field
        self.params = params
        super().__init__(self.message)

    def __str__(self) -> str:
        text = str(self.message)  # translated now, in the language of whoever reads it
        return text % self.params if self.params else text


def show_error(request, exc: DomainError, form=None) -> None:
    """Show a domain error on the page: on its field when the form has it, else on the form
    as a whole, else as a message."""
    if form is not None:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc))
        return
    messages.error(request, str(exc))


def error_payload(exc: DomainError) -> dict[str, str | None]:
    """The JSON body an API answers a domain error with."""
    return {"code": exc.code, "message": str(exc), "field": exc.field}
