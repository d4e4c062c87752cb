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

    def field_errors(self) -> dict[str | None, list[str]]:
        """The messages by form field (None: the form as a whole)."""
        return {self.field: [str(self)]}


class CodedError(DomainError):
    """A family of domain errors told apart by code. The subclass lists each code's
    message in `messages` (and, where it belongs to a field, in `fields`); it is raised by
    code: `raise TeamError("last-admin")`. The messages live with the error, so no view maps
    codes; an unknown code shows the family's general message instead of failing."""

    messages: dict[str, str | Promise] = {}
    fields: dict[str, str] = {}

    def __init__(self, code: str, *, field: str | None = None, **params: Any):
        super().__init__(
            self.messages.get(code, type(self).message),
            code=code,
            field=field if field is not None else self.fields.get(code),
            **params,
        )

    @classmethod
    def message_for(cls, code: str, **params: Any) -> str:
        """The sentence for `code`, for a page that shows a state without raising."""
        return str(cls(code, **params))


def show_error(request, exc: DomainError, form=None) -> None:
    """Show a domain error on the page: on its field when the form has that field, else on
    the form as a whole; without a form, as messages. A form whose fields are named
    otherwise than the service's maps them in `service_fields` ({service name: form name})."""
    renamed = getattr(form, "service_fields", {})
    for field, texts in exc.field_errors().items():
        name = renamed.get(field, field)
        for text in texts:
            if form is None:
                messages.error(request, text)
            else:
                form.add_error(name if name in form.fields else None, text)


def error_payload(exc: DomainError) -> dict[str, str | None]:
    """The JSON body an API answers a domain error with."""
    return {"code": exc.code, "message": str(exc), "field": exc.field}
