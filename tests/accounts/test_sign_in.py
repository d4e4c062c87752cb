"""Sign-in through allauth: e-mail login, verification, reset, rate limits, sign-up, MFA."""

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse

from accounts.models import User
from resellers.models import ResellerHostname
from tests.factories import PASSWORD, MembershipFactory, ResellerFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """E-mail is queued on commit: run what a request queued, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


LOGIN = "/accounts/login/"


def test_member_signs_in_with_email_and_lands_on_the_reseller_dashboard(client):
    membership = MembershipFactory(user__email="Anna@Example.test")
    assert membership.user.email == "anna@example.test"
    answer = client.post(LOGIN, {"login": "ANNA@example.TEST", "password": PASSWORD}, follow=True)
    assert answer.redirect_chain[-1][0] == reverse("resellers:dashboard")
    assert membership.reseller.name in answer.content.decode()


def test_sign_in_page_invites_companies_to_apply(client):
    page = client.get(LOGIN, HTTP_HOST="localhost").content.decode()
    assert 'data-testid="become-reseller"' in page
    assert f'href="{reverse("resellers:apply")}"' in page and "Become a reseller" in page


def test_sign_in_on_a_resellers_own_host_is_branded_without_the_operators_offer(client):
    reseller = ResellerFactory(name="Acme Mobile")
    ResellerHostname.objects.create(
        reseller=reseller, hostname="portal.acme.test", status=ResellerHostname.Status.ACTIVE
    )
    answer = client.get(LOGIN, HTTP_HOST="portal.acme.test")
    page = answer.content.decode()
    assert answer.status_code == 200
    assert 'data-testid="brand-name">Acme Mobile<' in page
    assert 'name="login"' in page
    assert 'data-testid="become-reseller"' not in page


def test_wrong_password_says_so_and_does_not_sign_in(client):
    user = UserFactory()
    answer = client.post(LOGIN, {"login": user.email, "password": "wrong-password-1"})
    assert answer.status_code == 200
    assert "not correct" in answer.content.decode()
    assert "_auth_user_id" not in client.session


def test_unverified_address_must_be_confirmed_before_sign_in(client, committed):
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    with committed():
        answer = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert answer.status_code == 302
    assert answer.headers["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert user.email in mail.outbox[0].to


def test_failed_logins_are_rate_limited_per_address(client):
    user = UserFactory()
    for _ in range(5):
        client.post(LOGIN, {"login": user.email, "password": "wrong-password-1"})
    answer = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in answer.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_that_sets_a_new_password(client, committed):
    user = UserFactory()
    with committed():
        client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/password/reset/key/" in w)
    answer = client.get(link, follow=True)
    form_url = answer.redirect_chain[-1][0] if answer.redirect_chain else link
    new = "a-brand-new-password-7"
    answer = client.post(form_url, {"password1": new, "password2": new})
    assert answer.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_sign_up_creates_a_user_and_asks_to_verify_the_address(client, committed):
    with committed():
        answer = client.post(
            reverse("account_signup"),
            {"email": "new@example.test", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert answer.status_code == 302
    user = User.objects.get(email="new@example.test")
    assert not EmailAddress.objects.get(user=user).verified
    assert "confirm" in mail.outbox[0].body.lower()


def test_sign_up_can_be_closed(client, settings):
    settings.TESSERA_SIGNUP_OPEN = False
    answer = client.post(
        reverse("account_signup"),
        {"email": "new@example.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert "Sign Up Closed" in answer.content.decode()
    assert not User.objects.filter(email="new@example.test").exists()


def test_staff_without_mfa_must_enrol_before_staff_pages(client):
    staff = StaffFactory(mfa=False)
    client.force_login(staff)
    answer = client.get(reverse("resellers:staff-dashboard"))
    assert answer.status_code == 302
    assert answer.headers["Location"] == reverse("mfa_activate_totp")


def test_staff_with_mfa_signs_in_with_password_then_code(client):
    staff = StaffFactory()
    answer = client.post(LOGIN, {"login": staff.email, "password": PASSWORD})
    assert answer.headers["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    code = format_hotp_value(hotp_value(staff.totp_secret, int(time.time()) // 30))
    answer = client.post(reverse("mfa_authenticate"), {"code": code}, follow=True)
    assert answer.redirect_chain[-1][0] == reverse("resellers:staff-dashboard")
    assert answer.status_code == 200


def test_staff_with_mfa_and_a_wrong_code_stays_out(client):
    staff = StaffFactory()
    client.post(LOGIN, {"login": staff.email, "password": PASSWORD})
    answer = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert answer.status_code == 200
    assert "Incorrect code" in answer.content.decode()
    assert "_auth_user_id" not in client.session
