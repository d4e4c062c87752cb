"""Onboarding: the application (with its VAT and identifier checks), the terms, approval and
rejection, and the staff reminder of old applications."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Role, User
from audit.services import audit_record
from core.errors import DomainError
from core.phones import InvalidPhoneNumber, phone_normalise
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import ledger_post, reseller_account
from resellers.commission import commission_today
from resellers.models import (
    Reseller,
    TermsAcceptance,
    TermsDocument,
)
from resellers.selectors import staff_application_overdue_list
from resellers.services.commission import plan_write
from resellers.services.lifecycle import ResellerStateError, reseller_lock
from tax.identifiers import tax_id_clean, vat_id_clean
from tax.models import VatCheck
from tax.services import vat_check_applies, vat_check_start

# Applications waiting longer than this are highlighted and reminded to staff daily.
REMINDER_AFTER_DAYS = 7
OVERDUE_AFTER_DAYS = 30


# --- Applications -----------------------------------------------------------------------------


class ApplicationInvalid(DomainError):
    """The application has errors: {field name: [messages]}; nothing was saved."""

    code = "application-invalid"
    message = gettext_lazy("The application has errors; nothing was saved.")

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__()
        self.errors = errors

    def field_errors(self) -> dict[str | None, list[str]]:
        return dict(self.errors)


def _fail(field: str, message: str) -> ApplicationInvalid:
    return ApplicationInvalid({field: [str(message)]})


def _unique_slug(base: str) -> str:
    root = (slugify(base)[:50] or "reseller").strip("-")
    slug, n = root, 1
    while Reseller.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{root}-{n}"
    return slug


def _application_errors(
    *,
    country: str,
    vat_id: str,
    tax_id: str,
    phone: str,
    email: str,
    password: str,
    terms: TermsDocument | None,
    terms_version: int | None,
    accepted_terms: bool,
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Check everything an application needs; return (errors, cleaned values)."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, cleaner, raw in (
        ("vat_id", vat_id_clean, vat_id),
        ("tax_id", tax_id_clean, tax_id),
    ):
        try:
            cleaned[name] = cleaner(raw, country=country)
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    if not errors and not cleaned.get("vat_id") and not cleaned.get("tax_id"):
        errors["vat_id"] = [_("Give a VAT ID, a national tax ID, or both.")]
    try:
        cleaned["phone"] = phone_normalise(phone, default_region=country.upper(), mobile=False)
    except InvalidPhoneNumber:
        errors["phone"] = [
            _(
                "%(phone)s is not a valid phone number; write it with the country code, "
                "e.g. +49 30 1234567."
            )
            % {"phone": phone}
            if phone.strip()
            else _("Give a phone number with the country code, e.g. +49 30 1234567.")
        ]
    cleaned["email"] = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=cleaned["email"]).exists():
        errors["email"] = [
            _("There is already an account with this e-mail address. Sign in instead.")
        ]
    try:
        validate_password(password, User(email=cleaned["email"]))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if not accepted_terms:
        errors["accept_terms"] = [_("You must accept the reseller terms to apply.")]
    elif terms is None:
        errors["accept_terms"] = [_("The reseller terms are not published yet; try later.")]
    elif terms_version != terms.version:
        errors["accept_terms"] = [
            _("The terms were updated to version %(version)s while you applied; read them again.")
            % {"version": terms.version}
        ]
    return errors, cleaned


@transaction.atomic(durable=True)
def reseller_apply(
    *,
    legal_name: str,
    country: str,
    address_line: str,
    postal_code: str,
    city: str,
    vat_id: str,
    tax_id: str,
    phone: str,
    email: str,
    website: str,
    contact_person: str,
    password: str,
    currency: str,
    language: str,
    terms_version: int | None,
    accepted_terms: bool,
    ip_address: str | None,
    name: str = "",
) -> Reseller:
    """A company applies: a Reseller (applied), its Admin user, the terms acceptance, an audit
    row and a VIES check of the VAT ID (run after commit). Raises ApplicationInvalid."""
    terms = TermsDocument.objects.order_by("-version").first()
    errors, cleaned = _application_errors(
        country=country,
        vat_id=vat_id,
        tax_id=tax_id,
        phone=phone,
        email=email,
        password=password,
        terms=terms,
        terms_version=terms_version,
        accepted_terms=accepted_terms,
    )
    if errors:
        raise ApplicationInvalid(errors)
    reseller = Reseller(
        name=(name or legal_name).strip()[:120],
        legal_name=legal_name.strip(),
        slug=_unique_slug(name or legal_name),
        country=country.upper(),
        address_line=address_line.strip(),
        postal_code=postal_code.strip(),
        city=city.strip(),
        vat_id=cleaned["vat_id"],
        tax_id=cleaned["tax_id"],
        contact_email=cleaned["email"],
        contact_phone=cleaned["phone"],
        website=website.strip(),
        contact_person=contact_person.strip(),
        currency=currency,
        language=language,
        status=Reseller.Status.APPLIED,
    )
    try:
        reseller.full_clean()
    except ValidationError as exc:
        raise ApplicationInvalid({k: list(v) for k, v in exc.message_dict.items()}) from exc
    reseller.save()
    first, _sep, last = contact_person.strip().partition(" ")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=cleaned["email"],
                password=password,
                first_name=first[:150],
                last_name=last[:150],
                language=language,
            )
    except IntegrityError as exc:  # the same e-mail applied a moment ago
        raise _fail("email", _("There is already an account with this e-mail address.")) from exc
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    Membership.objects.create(user=user, reseller=reseller, role=Role.ADMIN)
    TermsAcceptance.objects.create(reseller=reseller, user=user, terms=terms, ip_address=ip_address)
    audit_record(
        actor=user,
        action="reseller.applied",
        reseller=reseller,
        obj=reseller,
        data={"email": user.email, "terms_version": terms.version, "ip": ip_address},
    )
    if _vies_applies(reseller):
        vat_check_start(reseller=reseller)
    return reseller


def _vies_applies(reseller: Reseller) -> bool:
    return vat_check_applies(country=reseller.country.code, vat_id=reseller.vat_id)


@transaction.atomic(durable=True)
def terms_accept(*, reseller_id: int, actor: User, version: int, ip_address: str | None):
    """The reseller's Admin accepts the terms in force (a reseller the operator or a parent
    created never saw them, or a newer version was published). `version` is the one the
    Admin read: a version published meanwhile must be read first."""
    reseller = reseller_lock(reseller_id)
    current = TermsDocument.objects.order_by("-version").first()
    if current is None or current.version != version:
        raise _fail(
            "terms", _("A newer version of the terms was published: read it, then accept it.")
        )
    acceptance = TermsAcceptance.objects.filter(reseller=reseller, terms=current).first()
    if acceptance is not None:
        return acceptance
    acceptance = TermsAcceptance.objects.create(
        reseller=reseller, user=actor, terms=current, ip_address=ip_address
    )
    audit_record(
        actor=actor,
        action="reseller.terms_accepted",
        reseller=reseller,
        obj=reseller,
        data={"terms_version": current.version, "ip": ip_address},
    )
    return acceptance


@transaction.atomic(durable=True)
def reseller_vat_id_change(*, reseller_id: int, actor: User, vat_id: str) -> Reseller:
    """Change the VAT ID (staff or the reseller's Admin); a changed ID is checked with VIES."""
    reseller = reseller_lock(reseller_id)
    try:
        cleaned = vat_id_clean(vat_id, country=reseller.country.code)
    except ValidationError as exc:
        raise ApplicationInvalid({"vat_id": list(exc.messages)}) from exc
    if not cleaned and not reseller.tax_id:
        raise _fail("vat_id", _("Give a VAT ID, a national tax ID, or both."))
    if cleaned == reseller.vat_id:
        return reseller
    previous = reseller.vat_id
    reseller.vat_id = cleaned
    reseller.save(update_fields=["vat_id"])
    audit_record(
        actor=actor,
        action="reseller.vat_id_changed",
        reseller=reseller,
        obj=reseller,
        data={"from": previous, "to": cleaned},
    )
    if _vies_applies(reseller):
        vat_check_start(reseller=reseller)
    else:
        reseller.vat_check = None
        reseller.save(update_fields=["vat_check"])
    return reseller


@transaction.atomic(durable=True)
def vat_check_request(*, reseller_id: int, actor: User) -> VatCheck:
    """Staff ask VIES again about the current VAT ID (e.g. after it stayed unavailable)."""
    reseller = reseller_lock(reseller_id)
    if not _vies_applies(reseller):
        raise ResellerStateError("no-vat-id")
    check = vat_check_start(reseller=reseller)
    audit_record(actor=actor, action="vat_check.requested", reseller=reseller, obj=check)
    return check


def _mail_applicant(reseller: Reseller, template_prefix: str, context: dict) -> None:
    """Render in the applicant's language now; sent by a task after commit."""
    with translation.override(reseller.language or settings.LANGUAGE_CODE):
        get_adapter().send_mail(
            template_prefix, reseller.contact_email, {"reseller": reseller, **context}
        )


@transaction.atomic(durable=True)
def reseller_approve(
    *,
    reseller_id: int,
    actor: User,
    commission_rate=None,
    commission_tiers: Iterable[tuple] = (),
    commission_note: str = "",
) -> Reseller:
    """Approve an application: the reseller may sell; money it paid before approval moves
    from `pending` to sales credit in full, in this transaction; the applicant is told.

    With `commission_rate` (and optionally `commission_tiers`, see
    services.commission.commission_plan_set), its commission plan starts today, in this
    transaction (the approval screen always gives one)."""
    reseller = reseller_lock(reseller_id)
    if reseller.status != Reseller.Status.APPLIED:
        raise ResellerStateError("not-applied")
    if commission_rate is not None:
        plan = plan_write(
            reseller=reseller,
            actor=actor,
            rate=commission_rate,
            tiers=commission_tiers,
            effective_from=commission_today(),
            note=commission_note,
        )
        reseller.commission_rate = plan.rate  # the flat rate: what pages written before plans show
    reseller.status = Reseller.Status.APPROVED
    reseller.status_reason = ""
    reseller.approved_at = timezone.now()
    reseller.save(update_fields=["status", "status_reason", "approved_at", "commission_rate"])
    released = {}
    pending_accounts = (
        LedgerAccount.objects.select_for_update()
        .filter(
            owner_type=LedgerAccount.OwnerType.RESELLER,
            reseller=reseller,
            kind=LedgerAccount.Kind.PENDING,
        )
        .order_by("id")
    )
    for account in pending_accounts:
        if account.balance <= 0:
            continue
        sales = reseller_account(
            reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT, currency=account.currency
        )
        ledger_post(
            kind=LedgerTransaction.Kind.APPROVAL_RELEASE,
            currency=account.currency,
            legs=[(account, -account.balance), (sales, account.balance)],
            idempotency_key=f"approval-release:{reseller.pk}:{account.currency}",
            scope=f"reseller:{reseller.pk}",
            actor=actor,
            reseller=reseller,
            memo=str(_("Funds paid before approval released to sales credit")),
        )
        released[account.currency] = str(account.balance)
    audit_record(
        actor=actor,
        action="reseller.approved",
        reseller=reseller,
        obj=reseller,
        data={"released": released},
    )
    _mail_applicant(reseller, "resellers/email/application_approved", {})
    return reseller


@transaction.atomic(durable=True)
def reseller_reject(*, reseller_id: int, actor: User, reason: str) -> Reseller:
    """Reject an application with a reason the applicant is told by e-mail."""
    reason = (reason or "").strip()
    if not reason:
        raise ResellerStateError("reason-required")
    reseller = reseller_lock(reseller_id)
    if reseller.status != Reseller.Status.APPLIED:
        raise ResellerStateError("not-applied")
    reseller.status = Reseller.Status.REJECTED
    reseller.status_reason = reason[:300]
    reseller.save(update_fields=["status", "status_reason"])
    audit_record(
        actor=actor,
        action="reseller.rejected",
        reseller=reseller,
        obj=reseller,
        data={"reason": reason},
    )
    _mail_applicant(reseller, "resellers/email/application_rejected", {"reason": reason})
    return reseller


@transaction.atomic(durable=True)
def terms_publish(*, actor: User, title: str, body: str) -> TermsDocument:
    """Publish a new version of the reseller terms; earlier versions stay as they were."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise ValidationError(_("The terms need a title and a text."))
    latest = TermsDocument.objects.select_for_update().order_by("-version").first()
    terms = TermsDocument.objects.create(
        version=(latest.version + 1) if latest else 1,
        title=title,
        body=body,
        published_by=actor,
    )
    audit_record(actor=actor, action="terms.published", obj=terms, data={"version": terms.version})
    return terms


def application_reminders_send(*, now=None) -> int:
    """E-mail operator staff about applications waiting longer than 7 days; returns how many.

    Only reads and sends (after commit of nothing): safe to run again."""
    now = now or timezone.now()
    waiting = list(staff_application_overdue_list(now=now, days=REMINDER_AFTER_DAYS))
    if not waiting:
        return 0
    recipients = list(
        User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True)
    )
    adapter = get_adapter()
    for email in recipients:
        adapter.send_mail(
            "resellers/email/application_reminder",
            email,
            {"applications": waiting, "now": now, "days": REMINDER_AFTER_DAYS},
        )
    return len(waiting)
