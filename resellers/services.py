"""Writes on resellers. Each top-level service is atomic and audits in the same transaction."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, User
from audit.services import audit_record, audit_record_once
from core.money import as_decimal, to_ledger, to_minor_unit
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import InsufficientFunds, OperatorAccount, ledger_post, reseller_account
from resellers import branding as brand
from resellers import hosts
from resellers.models import (
    MAX_SUBRESELLER_DEPTH,
    AdvertisingRequest,
    Branding,
    Reseller,
    ResellerHostname,
    TermsAcceptance,
    TermsDocument,
)
from tax.identifiers import tax_id_clean, vat_id_clean
from tax.models import VatCheck
from tax.services import vat_check_start
from tax.treatment import EU_COUNTRIES

# Applications waiting longer than this are highlighted and reminded to staff daily.
REMINDER_AFTER_DAYS = 7
OVERDUE_AFTER_DAYS = 30


class ResellerStateError(Exception):
    """The reseller is not in a state that allows the action."""


def _lock(reseller_id: int) -> Reseller:
    return Reseller.objects.select_for_update().get(pk=reseller_id)


@transaction.atomic(durable=True)
def reseller_suspend(*, reseller_id: int, actor: User, reason: str) -> Reseller:
    """Stop a reseller's users from doing anything until staff reactivate it."""
    reseller = _lock(reseller_id)
    if reseller.status == Reseller.Status.SUSPENDED:
        raise ResellerStateError("already-suspended")
    if reseller.status != Reseller.Status.APPROVED:
        raise ResellerStateError("not-approved")
    previous = reseller.status
    reseller.status = Reseller.Status.SUSPENDED
    reseller.status_reason = reason
    reseller.save(update_fields=["status", "status_reason"])
    audit_record(
        actor=actor,
        action="reseller.suspended",
        reseller=reseller,
        obj=reseller,
        data={"reason": reason, "previous_status": previous},
    )
    return reseller


@transaction.atomic(durable=True)
def reseller_reactivate(*, reseller_id: int, actor: User) -> Reseller:
    """Lift a suspension; the reseller goes back to approved."""
    reseller = _lock(reseller_id)
    if reseller.status != Reseller.Status.SUSPENDED:
        raise ResellerStateError("not-suspended")
    reseller.status = Reseller.Status.APPROVED
    reseller.status_reason = ""
    if reseller.approved_at is None:
        reseller.approved_at = timezone.now()
    reseller.save(update_fields=["status", "status_reason", "approved_at"])
    audit_record(actor=actor, action="reseller.reactivated", reseller=reseller, obj=reseller)
    return reseller


@transaction.atomic(durable=True)
def reseller_create(
    *,
    actor: User | None,
    name: str,
    legal_name: str,
    slug: str,
    country: str,
    contact_email: str,
    currency: str,
    parent: Reseller | None = None,
    status: str = Reseller.Status.APPLIED,
    commission_rate=None,
    **details: str,
) -> Reseller:
    """Create a reseller (operator-created, or a sub-reseller of `parent`)."""
    reseller = Reseller(
        name=name,
        legal_name=legal_name,
        slug=slug,
        country=country,
        contact_email=contact_email,
        currency=parent.currency if parent is not None else currency,
        parent=parent,
        status=status,
        approved_at=timezone.now() if status == Reseller.Status.APPROVED else None,
        **details,
    )
    if commission_rate is not None:
        reseller.commission_rate = commission_rate
    reseller.full_clean()
    reseller.save()
    audit_record(
        actor=actor,
        action="reseller.created",
        reseller=reseller,
        obj=reseller,
        data={"status": status, "parent_id": parent.pk if parent else None},
    )
    return reseller


# --- Applications -----------------------------------------------------------------------------


class ApplicationInvalid(Exception):
    """The application has errors: {field name: [messages]}; nothing was saved."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


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
    from core.phones import InvalidPhoneNumber, phone_normalise

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
        hint = _("write it with the country code, e.g. +49 30 1234567")
        errors["phone"] = [
            _("%(phone)s is not a valid phone number; %(hint)s.") % {"phone": phone, "hint": hint}
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
    """VIES knows EU VAT IDs only."""
    return bool(reseller.vat_id) and reseller.country.code in EU_COUNTRIES


@transaction.atomic(durable=True)
def reseller_vat_id_change(*, reseller_id: int, actor: User, vat_id: str) -> Reseller:
    """Change the VAT ID (staff or the reseller's Admin); a changed ID is checked with VIES."""
    reseller = _lock(reseller_id)
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
    reseller = _lock(reseller_id)
    if not _vies_applies(reseller):
        raise ResellerStateError("no-vat-id")
    check = vat_check_start(reseller=reseller)
    audit_record(actor=actor, action="vat_check.requested", reseller=reseller, obj=check)
    return check


def _mail_applicant(reseller: Reseller, template_prefix: str, context: dict) -> None:
    """Render in the applicant's language now; sent by a task after commit."""
    from allauth.account.adapter import get_adapter

    with translation.override(reseller.language or settings.LANGUAGE_CODE):
        get_adapter().send_mail(
            template_prefix, reseller.contact_email, {"reseller": reseller, **context}
        )


@transaction.atomic(durable=True)
def reseller_approve(*, reseller_id: int, actor: User) -> Reseller:
    """Approve an application: the reseller may sell; money it paid before approval moves
    from `pending` to sales credit in full, in this transaction; the applicant is told."""
    reseller = _lock(reseller_id)
    if reseller.status != Reseller.Status.APPLIED:
        raise ResellerStateError("not-applied")
    reseller.status = Reseller.Status.APPROVED
    reseller.status_reason = ""
    reseller.approved_at = timezone.now()
    reseller.save(update_fields=["status", "status_reason", "approved_at"])
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
    reseller = _lock(reseller_id)
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
    from allauth.account.adapter import get_adapter

    from resellers.selectors import staff_application_overdue_list

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


# --- Sub-resellers and credit transfers --------------------------------------------------------


class SubresellerError(Exception):
    """A sub-reseller may not be created (or a policy not set); `code` names the reason."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


class CreditAmountError(ValueError):
    """The amount of a transfer or adjustment is not acceptable; `code` names the reason."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


# A single transfer or staff adjustment above this is a typo, not a business decision.
MAX_CREDIT_MOVE = Decimal("1000000")


def credit_amount_check(*, amount: Decimal, currency: str, allow_negative: bool) -> Decimal:
    """The amount as the ledger keeps it, or CreditAmountError: zero, a sign not allowed,
    more decimals than the currency has, or more than MAX_CREDIT_MOVE."""
    amount = as_decimal(amount)
    if amount == 0:
        raise CreditAmountError("zero")
    if amount < 0 and not allow_negative:
        raise CreditAmountError("negative")
    if to_minor_unit(amount, currency) != amount:
        raise CreditAmountError("decimals")
    if abs(amount) > MAX_CREDIT_MOVE:
        raise CreditAmountError("too-large")
    return to_ledger(amount)


@transaction.atomic(durable=True)
def reseller_subreseller_policy_set(
    *, reseller_id: int, actor: User, may_create: bool, depth_limit: int
) -> Reseller:
    """Staff allow (or stop) a reseller creating sub-resellers, and bound its tree's depth."""
    if not 1 <= depth_limit <= MAX_SUBRESELLER_DEPTH:
        raise SubresellerError("bad-depth")
    reseller = _lock(reseller_id)
    before = {
        "may_create": reseller.may_create_subresellers,
        "depth_limit": reseller.subreseller_depth_limit,
    }
    reseller.may_create_subresellers = may_create
    reseller.subreseller_depth_limit = depth_limit
    reseller.save(update_fields=["may_create_subresellers", "subreseller_depth_limit"])
    audit_record(
        actor=actor,
        action="reseller.subreseller_policy_changed",
        reseller=reseller,
        obj=reseller,
        data={"before": before, "after": {"may_create": may_create, "depth_limit": depth_limit}},
    )
    return reseller


def _free_slug(name: str) -> str:
    base = slugify(name)[:50] or "reseller"
    taken = set(
        Reseller.objects.filter(slug__startswith=base).values_list("slug", flat=True)[:1000]
    )
    if base not in taken:
        return base
    for n in range(2, 1002):
        if f"{base}-{n}" not in taken:
            return f"{base}-{n}"
    return f"{base}-{secrets.token_hex(4)}"


@transaction.atomic(durable=True)
def subreseller_create(
    *,
    parent: Reseller,
    actor: User,
    name: str,
    legal_name: str,
    country: str,
    contact_email: str,
    commission_rate: Decimal,
    may_create_subresellers: bool = False,
) -> Reseller:
    """A reseller's Admin creates a sub-reseller under it.

    The child is approved at once: the parent vouches for it, is responsible for it towards
    the operator and funds it from its own sales credit. It sells in the parent's currency,
    earns at most the parent's commission rate, and the creating Admin becomes its Admin.
    """
    from accounts.models import Membership, Role
    from resellers.selectors import subreseller_allowance

    parent = _lock(parent.pk)
    allowance = subreseller_allowance(reseller=parent)
    if not allowance.allowed:
        raise SubresellerError(allowance.reason)
    if commission_rate > parent.commission_rate:
        raise SubresellerError("commission-too-high")
    if may_create_subresellers and not allowance.child_may_have_children:
        raise SubresellerError("child-too-deep")
    child = Reseller(
        name=name,
        legal_name=legal_name,
        slug=_free_slug(name),
        country=country,
        contact_email=contact_email,
        currency=parent.currency,
        parent=parent,
        status=Reseller.Status.APPROVED,
        approved_at=timezone.now(),
        commission_rate=commission_rate,
        may_create_subresellers=may_create_subresellers,
        subreseller_depth_limit=allowance.limit,
    )
    child.full_clean()
    child.save()
    membership = Membership.objects.create(user=actor, reseller=child, role=Role.ADMIN)
    audit_record(
        actor=actor,
        action="reseller.subreseller_created",
        reseller=parent,
        obj=child,
        data={"name": name, "commission_rate": str(commission_rate), "depth": allowance.depth + 1},
    )
    audit_record(
        actor=actor,
        action="reseller.created",
        reseller=child,
        obj=child,
        data={"status": child.status, "parent_id": parent.pk, "admin_membership": membership.pk},
    )
    return child


@transaction.atomic(durable=True)
def subreseller_credit_transfer(
    *,
    parent: Reseller,
    actor: User,
    child_id: int,
    amount: Decimal,
    note: str,
    idempotency_key: str,
) -> LedgerTransaction:
    """Move `amount` of sales credit from `parent` to its direct sub-reseller; a negative
    amount takes credit back, never more than the child has (InsufficientFunds).

    The note is the transaction's memo, so it shows in both accounts' histories. The same
    idempotency key posts once: a double submit returns the first transfer.
    """
    note = note.strip()
    if not note:
        raise CreditAmountError("note")
    currency = str(parent.currency)
    amount = credit_amount_check(amount=amount, currency=currency, allow_negative=True)
    child = Reseller.objects.filter(pk=child_id, parent_id=parent.pk).first()
    if child is None:
        raise SubresellerError("not-child")
    parent_credit = reseller_account(reseller=parent, kind=LedgerAccount.Kind.SALES_CREDIT)
    child_credit = reseller_account(
        reseller=child, kind=LedgerAccount.Kind.SALES_CREDIT, currency=currency
    )
    direction = "credit" if amount > 0 else "revoke"
    txn = ledger_post(
        kind=LedgerTransaction.Kind.TRANSFER,
        currency=currency,
        legs=[(parent_credit, -amount), (child_credit, amount)],
        idempotency_key=f"credit-transfer:{idempotency_key}",
        scope=f"reseller:{parent.pk}",
        memo=note,
        actor=actor,
        reseller=parent,
        metadata={
            "direction": direction,
            "from_reseller": parent.pk,
            "to_reseller": child.pk,
            "parent_name": parent.name,
            "child_name": child.name,
        },
    )
    action = f"ledger.credit_{'transferred' if direction == 'credit' else 'revoked'}"
    data = {"amount": str(amount), "currency": currency, "note": note, "child": child.pk}
    if audit_record_once(actor=actor, action=action, reseller=parent, obj=txn, data=data):
        audit_record(actor=actor, action=action, reseller=child, obj=txn, data=data)
    return txn


@transaction.atomic(durable=True)
def reseller_credit_adjust(
    *,
    reseller_id: int,
    actor: User,
    direction: str,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
) -> LedgerTransaction:
    """Operator staff credit a reseller's sales credit (e.g. a bank transfer arrived:
    Dr operator bank / Cr sales credit) or debit it (the reverse, never below zero).

    Money for a reseller not yet approved goes to its pending account instead, as a top-up
    would; approval later moves pending to sales credit in full."""
    reason = reason.strip()
    if not reason:
        raise CreditAmountError("reason")
    if direction not in ("credit", "debit"):
        raise CreditAmountError("direction")
    reseller = Reseller.objects.get(pk=reseller_id)
    currency = str(reseller.currency)
    amount = credit_amount_check(amount=amount, currency=currency, allow_negative=False)
    signed = amount if direction == "credit" else -amount
    kind = (
        LedgerAccount.Kind.PENDING
        if reseller.status == Reseller.Status.APPLIED
        else LedgerAccount.Kind.SALES_CREDIT
    )
    sales = reseller_account(reseller=reseller, kind=kind)
    txn = ledger_post(
        kind=LedgerTransaction.Kind.ADJUSTMENT,
        currency=currency,
        legs=[(OperatorAccount(LedgerAccount.Kind.BANK), -signed), (sales, signed)],
        idempotency_key=f"staff-adjust:{idempotency_key}",
        scope="operator",
        memo=reason,
        actor=actor,
        reseller=reseller,
        metadata={"direction": direction, "reason": reason, "account": kind},
    )
    audit_record_once(
        actor=actor,
        action="ledger.staff_adjusted",
        reseller=reseller,
        obj=txn,
        data={
            "direction": direction,
            "amount": str(amount),
            "currency": currency,
            "account": kind,
        },
    )
    return txn


# --- Branding ---------------------------------------------------------------------------------


@dataclass
class BrandingResult:
    branding: Branding
    changed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@transaction.atomic(durable=True)
def branding_update(
    *,
    reseller: Reseller,
    actor: User,
    display_name: str,
    header_colour: str,
    background_colour: str,
    text_colour: str,
    logo=None,
    remove_logo: bool = False,
) -> BrandingResult:
    """Save a reseller's display name, colours and logo. Bad input raises a ValidationError
    keyed by field and changes nothing; poor contrast is a warning, not an error."""
    errors: dict[str, list] = {}
    colours = {}
    for name, value in (
        ("header_colour", header_colour),
        ("background_colour", background_colour),
        ("text_colour", text_colour),
    ):
        try:
            colours[name] = brand.colour_normalize(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    display_name = (display_name or "").strip()
    if len(display_name) > 60:
        errors["display_name"] = [_("The display name has at most 60 characters.")]
    extension = None
    if logo is not None:
        try:
            extension = brand.logo_check(logo)
        except ValidationError as exc:
            errors["logo"] = exc.messages
    if errors:
        raise ValidationError(errors)

    Reseller.objects.select_for_update().get(pk=reseller.pk)  # one editor at a time
    branding, _created = Branding.objects.get_or_create(reseller=reseller)
    before = {
        "display_name": branding.display_name,
        **{name: getattr(branding, name) for name in colours},
        "logo": branding.logo.name,
    }
    branding.display_name = display_name
    for name, value in colours.items():
        setattr(branding, name, value)
    old_logo = branding.logo.name
    if logo is not None:
        branding.logo.save(f"logo-{uuid.uuid4().hex[:12]}.{extension}", logo, save=False)
    elif remove_logo:
        branding.logo = ""
    branding.save()
    after = {
        "display_name": branding.display_name,
        **{name: getattr(branding, name) for name in colours},
        "logo": branding.logo.name,
    }
    changed = sorted(k for k in after if after[k] != before[k])
    if old_logo and old_logo != branding.logo.name:
        transaction.on_commit(lambda: default_storage.delete(old_logo))
    if changed:
        audit_record(
            actor=actor,
            action="branding.updated",
            reseller=reseller,
            obj=branding,
            data={k: {"from": before[k], "to": after[k]} for k in changed},
        )
    warnings = brand.contrast_warnings(
        background=branding.background_colour, text=branding.text_colour
    )
    return BrandingResult(branding=branding, changed=changed, warnings=warnings)


# --- Own hostname -----------------------------------------------------------------------------


class HostnameError(Exception):
    """A hostname action that cannot be done now; `str()` is a sentence people can read."""


class HostnameTaken(HostnameError):
    pass


@dataclass(frozen=True)
class DnsCheck:
    hostname: ResellerHostname
    ok: bool
    addresses: list[str]
    message: str


def _lock_hostname(reseller: Reseller) -> ResellerHostname | None:
    return ResellerHostname.objects.select_for_update().filter(reseller=reseller).first()


@transaction.atomic(durable=True)
def hostname_request(*, reseller: Reseller, actor: User, hostname: str) -> ResellerHostname:
    """Ask for an own hostname (or change one not yet active). It waits for its DNS check."""
    name = hosts.hostname_normalize(hostname)
    Reseller.objects.select_for_update().get(pk=reseller.pk)  # one request at a time
    current = _lock_hostname(reseller)
    if current is not None and current.status == ResellerHostname.Status.ACTIVE:
        raise HostnameError(
            _("%(name)s is active. Remove it before asking for another host name.")
            % {"name": current.hostname}
        )
    if current is not None and current.hostname == name:
        return current
    taken = _("%(name)s is already used by another reseller.") % {"name": name}
    if ResellerHostname.objects.filter(hostname=name).exclude(reseller=reseller).exists():
        raise HostnameTaken(taken)
    previous = current.hostname if current else ""
    record = current or ResellerHostname(reseller=reseller)
    record.hostname = name
    record.status = ResellerHostname.Status.PENDING
    record.verified_at = None
    record.last_checked_at = None
    record.last_check_addresses = []
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:  # another reseller took it a moment ago
        raise HostnameTaken(taken) from None
    audit_record(
        actor=actor,
        action="hostname.requested",
        reseller=reseller,
        obj=record,
        data={"hostname": name, "previous": previous},
    )
    return record


def _in_transaction() -> bool:
    """Whether a transaction of ours is open (the one a test case wraps around each test does
    not count, the same rule Django applies to durable blocks)."""
    blocks = transaction.get_connection().atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def hostname_check_dns(*, reseller: Reseller, actor: User) -> DnsCheck:
    """Resolve the reseller's hostname (outside any transaction: it is a network call) and
    record whether it points to the portal: verified when every IPv4 address it resolves to
    is one of settings.PORTAL_PUBLIC_IPS."""
    if _in_transaction():
        raise RuntimeError("hostname_check_dns calls DNS: run it outside a transaction")
    record = ResellerHostname.objects.filter(reseller=reseller).first()
    if record is None:
        raise HostnameError(_("Ask for a host name first."))
    if record.status == ResellerHostname.Status.ACTIVE:
        raise HostnameError(_("%(name)s is already active.") % {"name": record.hostname})
    addresses = sorted(set(hosts.resolver()(record.hostname)))
    return _hostname_record_check(
        record_id=record.pk, hostname=record.hostname, addresses=addresses, actor=actor
    )


@transaction.atomic(durable=True)
def _hostname_record_check(
    *, record_id: int, hostname: str, addresses: list[str], actor: User
) -> DnsCheck:
    record = (
        ResellerHostname.objects.select_for_update().select_related("reseller").get(pk=record_id)
    )
    if record.hostname != hostname or record.status == ResellerHostname.Status.ACTIVE:
        raise HostnameError(_("The host name changed during the check; check again."))
    portal = list(settings.PORTAL_PUBLIC_IPS)
    elsewhere = [a for a in addresses if a not in portal]
    ok = bool(addresses) and not elsewhere
    if ok:
        message = _("%(name)s points to the portal. You can activate it now.") % {"name": hostname}
    elif not addresses:
        message = _(
            "%(name)s does not resolve yet. Create the A record below; DNS changes can take a "
            "few hours to arrive."
        ) % {"name": hostname}
    else:
        message = _(
            "%(name)s points to %(found)s, which is not the portal (%(portal)s). Change the A "
            "record so that it points only to the portal."
        ) % {"name": hostname, "found": ", ".join(elsewhere), "portal": ", ".join(portal)}
    now = timezone.now()
    record.last_checked_at = now
    record.last_check_addresses = addresses
    if ok and record.status == ResellerHostname.Status.PENDING:
        record.status, record.verified_at = ResellerHostname.Status.VERIFIED, now
    elif not ok:
        record.status, record.verified_at = ResellerHostname.Status.PENDING, None
    record.save()
    audit_record(
        actor=actor,
        action="hostname.dns_checked",
        reseller=record.reseller,
        obj=record,
        data={"hostname": hostname, "addresses": addresses, "ok": ok},
    )
    return DnsCheck(hostname=record, ok=ok, addresses=addresses, message=message)


def hostname_fee(*, reseller: Reseller) -> Decimal:
    """The one-time fee for an own hostname, in the reseller's currency."""
    return Decimal(settings.HOSTNAME_FEE)


@transaction.atomic(durable=True)
def hostname_activate(*, reseller: Reseller, actor: User) -> ResellerHostname:
    """Activate a DNS-verified hostname and charge the one-time fee from sales credit
    (Dr sales credit / Cr operator revenue). Activating again charges nothing."""
    Reseller.objects.select_for_update().get(pk=reseller.pk)
    record = _lock_hostname(reseller)
    if record is None:
        raise HostnameError(_("Ask for a host name first."))
    if record.status == ResellerHostname.Status.ACTIVE:
        return record
    if record.status != ResellerHostname.Status.VERIFIED:
        raise HostnameError(
            _("%(name)s is not verified yet: check its DNS first.") % {"name": record.hostname}
        )
    fee = hostname_fee(reseller=reseller)
    currency = str(reseller.currency)
    txn = None
    if fee > 0:
        try:
            txn = ledger_post(
                kind=LedgerTransaction.Kind.FEE,
                currency=currency,
                legs=[
                    (
                        reseller_account(reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT),
                        -fee,
                    ),
                    (OperatorAccount(LedgerAccount.Kind.REVENUE), fee),
                ],
                idempotency_key=f"hostname-fee:{record.pk}",
                scope=f"reseller:{reseller.pk}",
                memo=f"Hostname fee: {record.hostname}",
                actor=actor,
                reseller=reseller,
                metadata={"hostname": record.hostname, "hostname_id": record.pk},
            )
        except InsufficientFunds as exc:
            raise HostnameError(
                _(
                    "Not enough sales credit for the hostname fee: %(fee)s %(currency)s needed, "
                    "%(available)s %(currency)s available. Add funds first."
                )
                % {
                    "fee": f"{fee:.2f}",
                    "currency": currency,
                    "available": f"{exc.available:.2f}",
                }
            ) from None
    record.status = ResellerHostname.Status.ACTIVE
    record.activated_at = timezone.now()
    record.fee_transaction = txn
    record.save(update_fields=["status", "activated_at", "fee_transaction"])
    audit_record(
        actor=actor,
        action="hostname.activated",
        reseller=reseller,
        obj=record,
        data={
            "hostname": record.hostname,
            "fee": f"{fee:.2f}",
            "currency": currency,
            "transaction": txn.pk if txn else None,
        },
    )
    return record


@transaction.atomic(durable=True)
def hostname_remove(*, reseller: Reseller, actor: User) -> None:
    """Give up the own hostname (a paid fee is not refunded)."""
    record = _lock_hostname(reseller)
    if record is None:
        raise HostnameError(_("There is no host name to remove."))
    audit_record(
        actor=actor,
        action="hostname.removed",
        reseller=reseller,
        obj=record,
        data={"hostname": record.hostname, "status": record.status},
    )
    record.delete()


# --- Advertising material ---------------------------------------------------------------------


@transaction.atomic(durable=True)
def advertising_request_create(
    *,
    reseller: Reseller,
    actor: User,
    kind: str,
    quantity: int,
    recipient: str,
    address_line: str,
    postal_code: str,
    city: str,
    country: str,
    note: str = "",
) -> AdvertisingRequest:
    """A reseller asks for leaflets or posters, delivered to an address."""
    errors: dict[str, list] = {}
    if kind not in AdvertisingRequest.Kind.values:
        errors["kind"] = [_("Choose leaflets or posters.")]
    else:
        low, high = AdvertisingRequest.QUANTITY_BOUNDS[AdvertisingRequest.Kind(kind)]
        if quantity is None or not low <= quantity <= high:
            errors["quantity"] = [
                _("Order between %(low)s and %(high)s %(kind)s.")
                % {
                    "low": low,
                    "high": high,
                    "kind": AdvertisingRequest.Kind(kind).label.lower(),
                }
            ]
    request = AdvertisingRequest(
        reseller=reseller,
        requested_by=actor,
        kind=kind,
        quantity=quantity,
        recipient=(recipient or "").strip(),
        address_line=(address_line or "").strip(),
        postal_code=(postal_code or "").strip(),
        city=(city or "").strip(),
        country=country,
        note=(note or "").strip(),
    )
    try:
        request.full_clean(exclude=["reseller", "requested_by", *errors])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    request.save()
    audit_record(
        actor=actor,
        action="advertising.requested",
        reseller=reseller,
        obj=request,
        data={"kind": kind, "quantity": quantity},
    )
    return request


class AdvertisingStateError(Exception):
    """The request cannot move to that status; `str()` says why."""


@transaction.atomic(durable=True)
def advertising_request_set_status(
    *, request_id: int, actor: User, status: str, note: str = ""
) -> AdvertisingRequest:
    """Staff move a request on: requested → in production → shipped, or rejected (with a
    reason). The reseller sees the new status and note on its pages."""
    request = AdvertisingRequest.objects.select_for_update().get(pk=request_id)
    note = (note or "").strip()
    if status not in AdvertisingRequest.Status.values:
        raise AdvertisingStateError(_("Choose a valid status."))
    if status not in request.next_statuses:
        raise AdvertisingStateError(
            _("A request that is “%(current)s” cannot become “%(new)s”.")
            % {
                "current": request.get_status_display(),
                "new": AdvertisingRequest.Status(status).label,
            }
        )
    if status == AdvertisingRequest.Status.REJECTED and not note:
        raise AdvertisingStateError(_("Give the reseller a reason for the rejection."))
    if len(note) > 300:
        raise AdvertisingStateError(_("The note has at most 300 characters."))
    previous = request.status
    request.status = status
    request.status_note = note
    request.status_changed_at = timezone.now()
    request.save(update_fields=["status", "status_note", "status_changed_at"])
    audit_record(
        actor=actor,
        action="advertising.status_changed",
        reseller=request.reseller,
        obj=request,
        data={"from": previous, "to": status, "note": note},
    )
    return request
