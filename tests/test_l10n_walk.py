"""No English left and no number written the English way: every page of ours, as every role, in
German, French and Polish (tests/l10n_numbers.py says which numbers count); the error
pages as a signed-in person sees them; every e-mail and SMS the portal sends (issue 12).

The pages and who may open them come from the role matrix (tests/tenancy); pages that act
on POST are posted and the page they lead to (with its message) is read. A list is read a
second time one row per page, so its pagination shows. tests/l10n_text.py says what counts
as English.
"""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from billing.models import Invoice, InvoiceLine
from customers.models import Customer
from resellers.models import AdvertisingRequest, Reseller, ResellerHostname
from sms.models import Message
from sms.services import TEMPLATES as SMS_TEMPLATES
from sms.services import message_render
from tax.models import VatCheck
from tests.factories import (
    AdvertisingRequestFactory,
    CustomerFactory,
    InvitationFactory,
    ResellerFactory,
)
from tests.l10n_numbers import mixed_number_formats
from tests.l10n_text import english_left, english_left_in_text
from tests.sms.factories import FailedMessageFactory, MessageFactory
from tests.tenancy.harness import our_routes, rolled_back
from tests.tenancy.registry import OBJECT_URLS
from tests.tenancy.test_role_matrix import ACTIONS, DOWNLOADS, ENDPOINTS, MATRIX, NOT_APPLICABLE
from tests.world import World, build_world

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.catalogues,
    pytest.mark.slow,
    # The staff refund page goes to the provider: Stripe's settings point at its fake.
    pytest.mark.usefixtures("stripe_at_the_fake"),
]

LANGUAGES = ("de", "fr", "pl")
ROLES = ("anonymous", "customer", "user", "accountant", "admin", "staff")
# Pages that are no page: a health probe, file downloads, the switcher's redirect, webhooks.
NOT_PAGES = {"healthz", "set_language", *DOWNLOADS, *ENDPOINTS}


def _names(world) -> tuple[str, ...]:
    """The test world's data: people's and resellers' names (Faker's "Will Page" is a name,
    not English left on the page)."""
    names = set()
    for user in User.objects.all():
        names |= {user.first_name, user.last_name, user.get_full_name(), str(user)}
    for customer in Customer.objects.all():
        names.add(customer.name)
    for tenant in (world.a, world.b):
        names |= {tenant.reseller.name, tenant.reseller.legal_name, tenant.child.name}
        names |= {tenant.child.legal_name}
    names.add(MessageFactory.body)  # a stored SMS in English, its recipient's language
    # An invoice's lines and a credit note's reason are written once, in the buyer's language
    # at issue time (the world's resellers speak English): the document's text, not the page's.
    names |= set(InvoiceLine.objects.values_list("description", flat=True))
    names |= set(Invoice.objects.values_list("reason", flat=True))
    return tuple(sorted((n for n in names if n), key=len, reverse=True))


def _enrich(world) -> None:
    """States the plain world lacks, so their texts are read too: a host name waiting for DNS
    that was checked and found nothing, a VAT ID VIES could not check (twice), an SMS sent and
    one failed, an application waiting for review, a suspended customer, an open
    invitation and a rejected advertising request."""
    tenant = world.a
    ResellerHostname.objects.create(
        reseller=tenant.reseller,
        hostname="shop.tenant-a.test",
        last_checked_at=timezone.now(),
        last_check_addresses=[],
    )
    check = VatCheck.objects.create(
        reseller=tenant.reseller,
        vat_id=tenant.reseller.vat_id or "DE136695976",
        status=VatCheck.Status.UNAVAILABLE,
        error="MS_UNAVAILABLE",
        attempts=2,
    )
    Reseller.objects.filter(pk=tenant.reseller.pk).update(vat_check=check, vat_id=check.vat_id)
    MessageFactory(customer=tenant.customer, status=Message.Status.SENT, attempts=1)
    FailedMessageFactory(customer=tenant.customer)
    applicant = ResellerFactory(name="Applicant Sp. z o.o.", status=Reseller.Status.APPLIED)
    VatCheck.objects.create(reseller=applicant, vat_id="PL5260250995", attempts=0)
    CustomerFactory(reseller=tenant.reseller, status=Customer.Status.SUSPENDED)
    InvitationFactory(reseller=tenant.reseller)
    AdvertisingRequestFactory(reseller=tenant.reseller, status=AdvertisingRequest.Status.REJECTED)


def _client(world, role: str, language: str):
    client = world.client_for(role)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


# allauth's pages, in our templates: (URL name, who opens it).
ALLAUTH_PAGES = {
    "account_login": {"anonymous"},
    "account_reset_password": {"anonymous"},
    "account_reset_password_done": {"anonymous"},
    "account_signup": {"anonymous"},
    "account_logout": set(ROLES) - {"anonymous"},
    "account_change_password": set(ROLES) - {"anonymous"},
    "account_email": set(ROLES) - {"anonymous", "customer"},
    "mfa_index": set(ROLES) - {"anonymous", "customer"},
}


def _requests(world, role: str):
    """(route name, method, url, data) of every page `role` may open."""
    for name, roles in ALLAUTH_PAGES.items():
        if role in roles:
            yield name, "get", reverse(name), {}
    for route in our_routes():
        name = route.name
        if name in NOT_PAGES or role not in MATRIX.get(name, ()) or (name, role) in NOT_APPLICABLE:
            continue
        kwargs, method, data = {}, "get", {}
        if route.params:
            entry = OBJECT_URLS[name]
            kwargs, method = entry.kwargs(world, world.a), entry.method
            data = entry.payload(world, world.a)
        if name in ACTIONS:
            method, build = ACTIONS[name]
            data = build(world)
        yield name, method, reverse(name, kwargs=kwargs), data


def _read(client, method: str, url: str, data: dict):
    if method == "post":
        return client.post(url, data, follow=True)
    return client.get(url, follow=True)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_no_english_on_any_page(world, role, language):
    _enrich(world)
    names = _names(world)
    left = []
    for _name, method, url, data in list(_requests(world, role)):
        with rolled_back():
            # The person's own setting (the cookie is the anonymous visitor's choice).
            User.objects.update(language=language)
            Customer.objects.update(language=language)
            client = _client(world, role, language)
            answer = _read(client, method, url, data)
            assert answer.status_code == 200, f"{method.upper()} {url} as {role}: {answer}"
            assert answer["Content-Language"] == language, f"{url} as {role}"
            html = answer.content.decode()
            pages = [html]
            if method == "get" and "<table" in html:
                paged = client.get(url, {"per_page": 1})
                pages.append(paged.content.decode())
            for page in pages:
                left += [
                    f"{method.upper()} {url}: {text}"
                    for text in english_left(page, language, data=names)
                ]
                left += [
                    f"{method.upper()} {url}: a number written the English way: {number}"
                    for number in mixed_number_formats(page, language)
                ]
    assert not left, (
        f"English text or number formats left on the {language} pages as {role}:\n"
        + "\n".join(dict.fromkeys(left))
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_on_the_error_pages(world, language):
    client = _client(world, "customer", language)
    left = []
    for url, code in (
        ("/no-such-page/", 404),
        (reverse("resellers:staff-dashboard"), 403),
    ):
        answer = client.get(url)
        assert answer.status_code == code
        left += [
            f"{url}: {t}"
            for t in english_left(answer.content.decode(), language, data=_names(world))
        ]
    assert not left, "\n".join(left)


ALLAUTH_MAILS = (
    "account/email/password_reset_key",
    "account/email/unknown_account",
    "account/email/email_confirmation",
    "account/email/email_confirmation_signup",
    "account/email/account_already_exists",
    "account/email/password_changed",
    "account/email/password_set",
    "account/email/email_changed",
    "mfa/email/totp_activated",
    "mfa/email/totp_deactivated",
    "mfa/email/recovery_codes_generated",
)
OUR_MAILS = (
    "resellers/email/application_approved",
    "resellers/email/application_rejected",
    "resellers/email/application_reminder",
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_in_the_mails(world, language, rf):
    from accounts.services import _invitation_mail

    adapter = get_adapter()
    context = {
        "user": world.a.admin,
        "reseller": world.a.reseller,
        "reason": "",
        "applications": [world.a.reseller],
        "now": timezone.now(),
        "days": 7,
        "password_reset_url": "https://portal.test/reset/",
        "activate_url": "https://portal.test/confirm/",
        "signup_url": "https://portal.test/signup/",
        "code": "123456",
    }
    left = []
    with translation.override(language):
        for prefix in (*ALLAUTH_MAILS, *OUR_MAILS):
            message = adapter.render_mail(prefix, "someone@example.test", context)
            for part in (message.subject, message.body):
                left += [f"{prefix}: {t}" for t in english_left_in_text(part, language)]
        invitation = _invitation_mail(
            invitation=InvitationFactory(reseller=world.a.reseller), token="t0ken"
        )
        for part in (invitation["subject"], invitation["body"]):
            left += [f"invitation: {t}" for t in english_left_in_text(part, language)]
    assert not left, "\n".join(left)


SMS_CONTEXT = {
    "reseller_name": "Tenant A",
    "amount": "10.00",
    "currency": "EUR",
    "balance": "25.00",
    "phone": "+4915112345678",
    "password": "Xk3-pQ9",
    "portal_url": "https://portal.test/",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_in_the_sms(language):
    left = []
    for template, needs in sorted(SMS_TEMPLATES.items()):
        text = message_render(
            template=template, context={k: SMS_CONTEXT[k] for k in needs}, language=language
        )
        left += [f"{template}: {t}" for t in english_left_in_text(text, language)]
    assert not left, "\n".join(left)


@pytest.fixture
def world(db) -> World:
    """The two-tenant world with its payments (top-ups, a refund, a statement line)."""
    return build_world(payments=True)
