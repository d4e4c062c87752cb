"""Help texts and errors are tied to their fields on every form page (issue 12, point 4).

Each role opens every GET page of the role matrix it may open (and allauth's pages it sees);
on each page with a form, and on the forms sent back with errors below:
- every id an aria-describedby names exists in the page;
- every help text (.form-text) and error list (.invalid-feedback) has an id, and a field's
  aria-describedby names it;
- every field marked invalid (.is-invalid) has aria-invalid="true", and names its errors.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from resellers.services.onboarding import terms_publish
from tests.tenancy.registry import OBJECT_URLS
from tests.tenancy.test_role_matrix import (
    ACTIONS,
    DOWNLOADS,
    ENDPOINTS,
    MATRIX,
    NOT_APPLICABLE,
    ROUTES,
)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "customer", "user", "accountant", "admin", "staff")
CONTROLS = {"input", "select", "textarea", "fieldset"}
ALLAUTH = {
    "anonymous": ("account_login", "account_reset_password", "account_signup"),
    "customer": (),
    "staff": ("account_change_password", "account_email", "mfa_index"),
}
ALLAUTH_MEMBER = ("account_change_password", "account_email", "mfa_index")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.controls: list[dict] = []
        self.feedback: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        classes = attrs.get("class", "").split()
        if tag in CONTROLS and attrs.get("type") != "hidden":
            self.controls.append({"tag": tag, **attrs})
        for kind in ("form-text", "invalid-feedback"):
            if kind in classes:
                self.feedback.append((kind, attrs.get("id")))


def field_problems(html: str) -> list[str]:
    """What is wrong with how the page ties help texts and errors to fields."""
    page = _Page()
    page.feed(html)
    problems = []
    named = set()
    for control in page.controls:
        what = f"<{control['tag']} name={control.get('name')!r} id={control.get('id')!r}>"
        described = control.get("aria-describedby", "").split()
        named.update(described)
        problems += [
            f"{what}: aria-describedby names #{i}, which is not in the page"
            for i in described
            if i not in page.ids
        ]
        invalid = "is-invalid" in control.get("class", "").split()
        if invalid and control.get("aria-invalid") != "true":
            problems.append(f"{what}: marked invalid without aria-invalid=true")
        if control.get("aria-invalid") == "true" and not any(
            i.endswith("_error") for i in described
        ):
            problems.append(f"{what}: invalid, but aria-describedby names no error list")
    for kind, element_id in page.feedback:
        if not element_id:
            problems.append(f".{kind} without an id")
        elif element_id not in named:
            problems.append(f".{kind} #{element_id}: no field names it in aria-describedby")
    return problems


def forms_open(world) -> None:
    """What the pages need to show all their forms: published reseller terms (the
    application form) and tenant A allowed to create sub-resellers."""
    terms_publish(actor=world.staff, title="Reseller terms", body="1. Sell fairly.")
    world.a.reseller.may_create_subresellers = True
    world.a.reseller.save(update_fields=["may_create_subresellers"])


def get_pages(world, role: str) -> list[str]:
    urls = []
    for route in ROUTES:
        if role not in MATRIX[route.name] or (route.name, role) in NOT_APPLICABLE:
            continue
        if route.name in ACTIONS or route.name == "healthz":
            continue
        if route.name in DOWNLOADS or route.name in ENDPOINTS:
            continue
        kwargs = {}
        if route.params:
            entry = OBJECT_URLS[route.name]
            if entry.method != "get":
                continue
            kwargs = entry.kwargs(world, world.a)
        urls.append(reverse(route.name, kwargs=kwargs))
    return urls + [reverse(name) for name in ALLAUTH.get(role, ALLAUTH_MEMBER)]


@pytest.mark.parametrize("role", ROLES)
def test_every_form_page_ties_help_and_errors_to_fields(world, role):
    forms_open(world)
    client = world.client_for(role)
    failures, forms = [], 0
    for url in get_pages(world, role):
        answer = client.get(url, follow=True)
        assert answer.status_code == 200, f"{url} as {role}: {answer.status_code}"
        html = answer.content.decode()
        if "<form" not in html:
            continue
        forms += 1
        failures += [f"{url}: {problem}" for problem in field_problems(html)]
    assert forms, f"no form page as {role}"
    assert not failures, "\n".join(failures)


# Forms sent with mistakes: (role, URL name, data); each answer shows at least one field error.
INVALID = [
    ("anonymous", "account_login", {"login": "nobody@example.test", "password": ""}),
    ("anonymous", "account_signup", {"email": "not-an-address", "password1": "x"}),
    ("anonymous", "resellers:apply", {"legal_name": "", "email": "nope"}),
    ("user", "customers:recharge", {"phone": "12", "step": "review"}),
    ("admin", "resellers:branding", {"header_colour": "navy", "text_colour": "#cccccc"}),
    ("admin", "resellers:advertising-create", {"kind": "poster", "quantity": "500"}),
    ("admin", "resellers:subreseller-create", {"name": ""}),
    ("admin", "ledger:commission-transfer", {"amount": "-5"}),
    ("admin", "account_change_password", {"oldpassword": "wrong", "password1": "a"}),
    ("customer", "customers:portal-password", {"old_password": "wrong"}),
]


@pytest.mark.parametrize(("role", "name", "data"), INVALID, ids=[f"{r}-{n}" for r, n, _ in INVALID])
def test_forms_with_errors_mark_and_describe_the_invalid_fields(world, role, name, data):
    forms_open(world)
    answer = world.client_for(role).post(reverse(name), data)
    html = answer.content.decode()
    assert 'aria-invalid="true"' in html, f"{name}: no field error shown ({answer.status_code})"
    assert field_problems(html) == []


def test_the_check_sees_a_missing_id_an_untied_help_text_and_an_unmarked_error():
    html = (
        '<form><input name="a" id="a" aria-describedby="a_helptext">'
        '<div class="form-text">help</div>'
        '<input name="b" id="b" class="form-control is-invalid">'
        '<div class="invalid-feedback d-block" id="b_error">wrong</div></form>'
    )
    assert field_problems(html) == [
        "<input name='a' id='a'>: aria-describedby names #a_helptext, which is not in the page",
        "<input name='b' id='b'>: marked invalid without aria-invalid=true",
        ".form-text without an id",
        ".invalid-feedback #b_error: no field names it in aria-describedby",
    ]
