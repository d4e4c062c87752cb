"""Template helpers for the Bootstrap layout."""

from django import forms, template

register = template.Library()


def _css_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


def described_by(field) -> str:
    """The ids of the field's help text and error list, as includes/field_help.html and
    includes/field_errors.html render them: the input's aria-describedby names exactly these."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    return " ".join(ids)


@register.filter
def bs(field):
    """Render a bound field with Bootstrap's class; with errors it is marked invalid (for the
    eye and aria-invalid), and aria-describedby ties it to its help text and errors. A
    template that uses `bs` renders those with the two includes above (form_field.html does)."""
    css = _css_class(field.field.widget)
    attrs = {}
    if field.errors:
        css += " is-invalid"
        attrs["aria-invalid"] = "true"
    existing = field.field.widget.attrs.get("class", "")
    attrs["class"] = f"{existing} {css}".strip()
    if field.auto_id and (ids := described_by(field)):
        attrs["aria-describedby"] = ids
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)
