"""Applying as a reseller, the VIES check, staff approval and rejection (services)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Membership, Role, User
from audit.models import AuditEvent
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import account_balance
from ledger.services import OperatorAccount, ledger_post, reseller_account
from resellers.models import Reseller, TermsAcceptance, TermsDocument
from resellers.services.lifecycle import ResellerStateError
from resellers.services.onboarding import (
    ApplicationInvalid,
    application_reminders_send,
    reseller_apply,
    reseller_approve,
    reseller_reject,
    reseller_vat_id_change,
    terms_publish,
    vat_check_request,
)
from tax.models import VatCheck
from tax.tasks import vies_check, vies_retry_countdown
from tests.errors import raises_code
from tests.factories import ResellerFactory, StaffFactory

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind

# The translated mails need locale/*.po compiled (tests/conftest.py does it with msgfmt).
NEEDS_CATALOGUES = pytest.mark.catalogues


@pytest.fixture
def terms(db):
    staff = StaffFactory()
    return terms_publish(actor=staff, title="Reseller terms", body="1. Be nice.")


def application(terms: TermsDocument | None, **overrides) -> dict:
    data = {
        "legal_name": "Nordwind Telekom GmbH",
        "country": "DE",
        "address_line": "Hafenweg 2",
        "postal_code": "20457",
        "city": "Hamburg",
        "vat_id": "DE 136 695 976",
        "tax_id": "",
        "phone": "+49 40 1234567",
        "email": "Anna@Nordwind.example",
        "website": "https://nordwind.example",
        "contact_person": "Anna Berg",
        "password": "a-long-secret-passphrase-7",
        "currency": "EUR",
        "language": "de",
        "terms_version": terms.version if terms else None,
        "accepted_terms": True,
        "ip_address": "203.0.113.7",
    }
    data.update(overrides)
    return data


def _nothing_created():
    return (
        Reseller.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        TermsAcceptance.objects.count(),
        VatCheck.objects.count(),
    )


def test_apply_creates_reseller_admin_acceptance_audit_and_a_valid_vies_check(
    terms, fake_vies, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reseller = reseller_apply(**application(terms))
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPLIED
    assert reseller.vat_id == "DE136695976"
    assert reseller.contact_phone == "+49401234567"
    assert reseller.contact_email == "anna@nordwind.example"
    assert reseller.language == "de"
    user = User.objects.get(email="anna@nordwind.example")
    assert user.check_password("a-long-secret-passphrase-7")
    assert Membership.objects.get(user=user).role == Role.ADMIN
    acceptance = TermsAcceptance.objects.get(reseller=reseller)
    assert (acceptance.terms, acceptance.user, acceptance.ip_address) == (
        terms,
        user,
        "203.0.113.7",
    )
    assert AuditEvent.objects.filter(reseller=reseller, action="reseller.applied").exists()
    check = reseller.vat_check
    assert check.status == VatCheck.Status.VALID
    assert check.name == "FAKE COMPANY GMBH"
    assert check.consultation_number.startswith("WAPI")
    assert check.checked_at is not None and check.attempts == 1
    assert reseller.vies_valid
    sent = fake_vies.requests[0]
    assert sent == {
        "countryCode": "DE",
        "vatNumber": "136695976",
        "requesterMemberStateCode": "DE",
        "requesterNumber": "129273398",  # the operator's VAT ID (default DE129273398)
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"vat_id": "DE136695977"}, "vat_id", "check digit is wrong"),
        ({"vat_id": "PL5260250995"}, "vat_id", "starts with DE"),
        ({"vat_id": "DE12"}, "vat_id", "wrong number of characters"),
        (
            {"country": "PL", "vat_id": "", "tax_id": "5260250994", "phone": "+48581234567"},
            "tax_id",
            "not a valid NIP (Poland)",
        ),
        ({"vat_id": "", "tax_id": ""}, "vat_id", "Give a VAT ID, a national tax ID"),
        ({"phone": "12345"}, "phone", "not a valid phone number"),
        ({"accepted_terms": False}, "accept_terms", "must accept"),
        ({"terms_version": 0}, "accept_terms", "were updated"),
        ({"password": "short"}, "password", "too short"),
        ({"website": "not a url"}, "website", "valid URL"),
    ],
)
def test_every_bad_input_says_what_is_wrong_and_creates_nothing(terms, overrides, field, message):
    before = _nothing_created()
    with pytest.raises(ApplicationInvalid) as caught:
        reseller_apply(**application(terms, **overrides))
    assert message in " ".join(caught.value.errors[field])
    assert _nothing_created() == before


def test_duplicate_email_is_refused(terms):
    reseller_apply(**application(terms))
    before = _nothing_created()
    with pytest.raises(ApplicationInvalid) as caught:
        reseller_apply(**application(terms, email="ANNA@nordwind.example", legal_name="Other"))
    assert "already an account" in caught.value.errors["email"][0]
    assert _nothing_created() == before


def test_without_published_terms_nobody_can_apply(db):
    with pytest.raises(ApplicationInvalid) as caught:
        reseller_apply(**application(None))
    assert "not published" in caught.value.errors["accept_terms"][0]


def test_polish_company_with_nip_only_gets_no_vies_check(terms, fake_vies):
    reseller = reseller_apply(
        **application(terms, country="PL", vat_id="", tax_id="526-025-09-95", phone="58 123 45 67")
    )
    assert reseller.tax_id == "5260250995"
    assert reseller.contact_phone == "+48581234567"
    assert reseller.vat_check is None and fake_vies.requests == []


def test_two_applications_with_the_same_name_get_distinct_slugs(terms):
    first = reseller_apply(**application(terms))
    second = reseller_apply(**application(terms, email="other@nordwind.example"))
    assert first.slug != second.slug


def test_vies_invalid_is_stored_as_invalid(terms, fake_vies, django_capture_on_commit_callbacks):
    fake_vies.default = "invalid"
    with django_capture_on_commit_callbacks(execute=True):
        reseller = reseller_apply(**application(terms))
    check = VatCheck.objects.get(reseller=reseller)
    assert check.status == VatCheck.Status.INVALID
    assert check.name == "" and check.address == ""
    reseller.refresh_from_db()
    assert not reseller.vies_valid


@pytest.mark.parametrize("outage", ["unavailable", "503", "timeout"])
def test_vies_unavailable_is_asked_once_then_valid_on_the_planned_retry(
    terms, fake_vies, django_capture_on_commit_callbacks, outage
):
    fake_vies.script = [outage]
    with django_capture_on_commit_callbacks(execute=True):
        reseller = reseller_apply(**application(terms))
    check = VatCheck.objects.get(reseller=reseller)
    # Without a worker (eager tasks) the outage is stored once: no burst of retries inside
    # the applicant's request, and no retry time is promised.
    assert check.status == VatCheck.Status.UNAVAILABLE and check.retry_at is None
    assert check.attempts == 1 and len(fake_vies.requests) == 1
    # The retry a worker runs later (its countdown elapsed) gets the valid answer.
    vies_check.apply(args=[check.pk], retries=1)
    check.refresh_from_db()
    assert check.status == VatCheck.Status.VALID and check.attempts == 2
    actions = list(
        AuditEvent.objects.filter(reseller=reseller, action__startswith="vat_check.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["vat_check.unavailable", "vat_check.valid"]


def test_vies_down_stays_unavailable_never_invalid_and_says_so(
    terms, fake_vies, django_capture_on_commit_callbacks
):
    fake_vies.default = "unavailable"
    with django_capture_on_commit_callbacks(execute=True):
        reseller = reseller_apply(**application(terms))
    check = VatCheck.objects.get(reseller=reseller)
    assert check.status == VatCheck.Status.UNAVAILABLE
    assert check.shown_status == VatCheck.Status.PENDING  # never treated as invalid
    assert check.attempts == 1 and check.error == "MS_UNAVAILABLE"
    reseller.refresh_from_db()
    status = reseller.vies_status
    assert (status.key, status.label) == ("unavailable", "VIES unavailable")
    assert "MS_UNAVAILABLE, 1 attempt)" in status.note and "not asked again" in status.note
    # Staff ask again once VIES is back.
    fake_vies.default = "valid"
    staff = StaffFactory()
    with django_capture_on_commit_callbacks(execute=True):
        vat_check_request(reseller_id=reseller.pk, actor=staff)
    reseller.refresh_from_db()
    assert reseller.vat_check.status == VatCheck.Status.VALID
    assert reseller.vies_status.key == "valid"


def test_retry_countdown_backs_off_with_jitter(settings):
    settings.VIES_RETRY_BASE = 60
    for n, base in enumerate([60, 120, 240, 480]):
        assert all(base <= vies_retry_countdown(n) <= base * 3 // 2 for _ in range(50))
    assert 6 * 60 * 60 <= vies_retry_countdown(20) <= 9 * 60 * 60
    # A hundred checks that met the same outage do not all ask again in the same second.
    assert len({vies_retry_countdown(0) for _ in range(100)}) > 10


def test_changing_the_vat_id_asks_vies_again(terms, fake_vies, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reseller = reseller_apply(**application(terms))
    admin = User.objects.get(email="anna@nordwind.example")
    fake_vies.default = "invalid"
    with django_capture_on_commit_callbacks(execute=True):
        reseller_vat_id_change(reseller_id=reseller.pk, actor=admin, vat_id="DE 811 907 980")
    reseller.refresh_from_db()
    assert reseller.vat_id == "DE811907980"
    assert reseller.vat_check.vat_id == "DE811907980"
    assert reseller.vat_check.status == VatCheck.Status.INVALID
    assert VatCheck.objects.filter(reseller=reseller).count() == 2
    assert AuditEvent.objects.filter(action="reseller.vat_id_changed").count() == 1
    # The same ID again changes nothing; a bad one is refused and changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        reseller_vat_id_change(reseller_id=reseller.pk, actor=admin, vat_id="DE811907980")
    with pytest.raises(ApplicationInvalid):
        reseller_vat_id_change(reseller_id=reseller.pk, actor=admin, vat_id="DE811907981")
    assert VatCheck.objects.filter(reseller=reseller).count() == 2
    assert len(fake_vies.requests) == 2


def _pay_before_approval(reseller: Reseller, net: str) -> None:
    ledger_post(
        kind=LedgerTransaction.Kind.TOPUP,
        currency=str(reseller.currency),
        legs=[
            (OperatorAccount(Kind.CLEARING_PAYPAL), "-" + net),
            (reseller_account(reseller=reseller, kind=Kind.PENDING), net),
        ],
        idempotency_key=f"test-pending-{uuid4()}",
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
    )


@NEEDS_CATALOGUES
def test_approval_releases_pending_money_and_mails_the_applicant_in_their_language(
    terms, django_capture_on_commit_callbacks
):
    reseller = reseller_apply(**application(terms))
    _pay_before_approval(reseller, "50.00")
    _pay_before_approval(reseller, "25.50")
    staff = StaffFactory()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reseller_approve(reseller_id=reseller.pk, actor=staff)
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPROVED and reseller.approved_at
    pending = reseller_account(reseller=reseller, kind=Kind.PENDING)
    sales = reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)
    assert account_balance(account=pending) == Decimal("0")
    assert account_balance(account=sales) == Decimal("75.50")
    release = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.APPROVAL_RELEASE)
    assert release.entries.count() == 2
    event = AuditEvent.objects.get(action="reseller.approved")
    assert event.data == {"released": {"EUR": "75.5000"}}
    (message,) = mail.outbox
    assert message.to == ["anna@nordwind.example"]
    # The applicant chose German: the mail is German (locale/de), not the English source.
    assert message.subject.endswith("Ihr Reseller-Antrag für Nordwind Telekom GmbH ist genehmigt")
    assert "gute Nachrichten" in message.body and "good news" not in message.body


def test_approve_twice_is_refused_and_posts_nothing_more(terms):
    reseller = reseller_apply(**application(terms))
    _pay_before_approval(reseller, "10.00")
    staff = StaffFactory()
    reseller_approve(reseller_id=reseller.pk, actor=staff)
    with raises_code(ResellerStateError, "not-applied"):
        reseller_approve(reseller_id=reseller.pk, actor=staff)
    assert LedgerTransaction.objects.filter(kind="approval_release").count() == 1
    assert AuditEvent.objects.filter(action="reseller.approved").count() == 1


def test_approval_without_pending_money_posts_nothing(terms):
    reseller = reseller_apply(**application(terms))
    reseller_approve(reseller_id=reseller.pk, actor=StaffFactory())
    assert not LedgerTransaction.objects.filter(kind="approval_release").exists()


def test_reject_needs_a_reason_and_mails_it(terms, django_capture_on_commit_callbacks):
    reseller = reseller_apply(**application(terms, language="en"))
    staff = StaffFactory()
    with raises_code(ResellerStateError, "reason-required"):
        reseller_reject(reseller_id=reseller.pk, actor=staff, reason="   ")
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPLIED
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reseller_reject(reseller_id=reseller.pk, actor=staff, reason="No trade register extract")
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.REJECTED
    assert reseller.status_reason == "No trade register extract"
    (message,) = mail.outbox
    assert "was not accepted" in message.subject
    assert "No trade register extract" in message.body
    with raises_code(ResellerStateError, "not-applied"):
        reseller_reject(reseller_id=reseller.pk, actor=staff, reason="again")
    with raises_code(ResellerStateError, "not-applied"):
        reseller_approve(reseller_id=reseller.pk, actor=staff)


@NEEDS_CATALOGUES
@pytest.mark.parametrize(
    ("language", "subject", "reason_label"),
    [
        (
            "fr",
            "Votre demande de revendeur pour Nordwind Telekom GmbH n'a pas été acceptée",
            "Motif",
        ),
        ("pl", "Wniosek resellerski firmy Nordwind Telekom GmbH nie został przyjęty", "Powód"),
    ],
)
def test_the_rejection_mail_speaks_the_applicants_language(
    terms, django_capture_on_commit_callbacks, language, subject, reason_label
):
    reseller = reseller_apply(**application(terms, language=language))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reseller_reject(reseller_id=reseller.pk, actor=StaffFactory(), reason="KRS missing")
    (message,) = mail.outbox
    assert message.subject.endswith(subject)
    assert f"{reason_label}" in message.body and "KRS missing" in message.body


def test_terms_versions_are_kept(db):
    staff = StaffFactory()
    first = terms_publish(actor=staff, title="Terms", body="v1")
    second = terms_publish(actor=staff, title="Terms", body="v2")
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert first.body == "v1"
    with pytest.raises(Exception, match="title and a text"):
        terms_publish(actor=staff, title="", body="x")
    assert TermsDocument.objects.count() == 2


def test_staff_are_reminded_of_applications_older_than_seven_days(
    terms, django_capture_on_commit_callbacks
):
    StaffFactory(email="ops@tessera.test")
    old = ResellerFactory(status=Reseller.Status.APPLIED, legal_name="Old Applicant AG")
    Reseller.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    ResellerFactory(status=Reseller.Status.APPLIED, legal_name="Fresh Applicant AG")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert application_reminders_send() == 1
    (message,) = [m for m in mail.outbox if m.to == ["ops@tessera.test"]]
    assert "Old Applicant AG" in message.body and "Fresh Applicant AG" not in message.body
    assert "1 reseller application waits longer than 7 days" in message.subject
    Reseller.objects.filter(pk=old.pk).update(status=Reseller.Status.APPROVED)
    mail.outbox.clear()
    assert application_reminders_send() == 0 and mail.outbox == []


def test_the_reminder_runs_daily_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["resellers-application-reminders"]
    assert entry["task"] == "resellers.tasks.application_reminders_send"
