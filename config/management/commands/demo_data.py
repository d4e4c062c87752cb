"""Demo data: an operator admin, two approved resellers (one with a sub-reseller), an Admin, a
User and an Accountant for each, and a few customers. Running it again changes nothing."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import Invitation, Role, User
from accounts.services import invitation_create, membership_add, user_create
from config.demo import demo_sales_history
from customers.models import Customer
from customers.selectors import recharge_amounts
from customers.services import customer_create, customer_recharge
from ledger.models import LedgerAccount
from payments.gateways.base import PaymentStatus
from payments.models import PaymentEvent, ResellerPaypal, TopUp
from payments.services.topups import Settlement, topup_create, topup_settle
from resellers.models import AdvertisingRequest, Reseller, TermsDocument
from resellers.services.advertising import advertising_request_create
from resellers.services.branding import branding_update
from resellers.services.lifecycle import reseller_create
from resellers.services.onboarding import reseller_apply, terms_publish
from resellers.services.subresellers import (
    reseller_subreseller_policy_set,
    subreseller_credit_transfer,
)
from tax.checking import vat_check_record
from tax.vies import ViesAnswer

Kind = LedgerAccount.Kind

DEMO_PASSWORD = "tessera-demo-2026"  # noqa: S105 - printed and documented demo login
# Demo only: the operator's TOTP secret is fixed so the README can name it.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105
OPERATOR_EMAIL = "operator@tessera.test"

RESELLERS = [
    {
        "slug": "alpha",
        "name": "Alpha Telecom",
        "legal_name": "Alpha Telecom GmbH",
        "country": "DE",
        "currency": "EUR",
        "vat_id": "DE136695976",
        "address_line": "Friedrichstraße 10",
        "postal_code": "10117",
        "city": "Berlin",
        "contact_phone": "+493012345678",
        "commission_rate": Decimal("10.00"),
        "parent": None,
    },
    {
        "slug": "alpha-kiosk",
        "name": "Alpha Kiosk Nord",
        "legal_name": "Kiosk Nord UG",
        "country": "DE",
        "currency": "EUR",
        "address_line": "Hafenstraße 3",
        "postal_code": "20457",
        "city": "Hamburg",
        "contact_phone": "+494012345678",
        "commission_rate": Decimal("8.00"),
        "parent": "alpha",
    },
    {
        "slug": "baltic",
        "name": "Baltic Voice",
        "legal_name": "Baltic Voice sp. z o.o.",
        "country": "PL",
        "currency": "PLN",
        "vat_id": "PL5260250995",
        "tax_id": "5260250995",
        "language": "pl",
        "address_line": "ul. Długa 5",
        "postal_code": "80-827",
        "city": "Gdańsk",
        "contact_phone": "+48581234567",
        "commission_rate": Decimal("12.50"),
        "parent": None,
    },
]

CUSTOMERS = {
    "alpha": [
        ("+491701234567", "Jonas Weber", "de", "customer@alpha.test"),
        ("+491711234568", "Aylin Kaya", "de", None),
        ("+436641234567", "Lena Gruber", "de", None),
    ],
    "alpha-kiosk": [("+491721234569", "Mehmet Demir", "de", None)],
    "baltic": [
        ("+48501234567", "Anna Kowalska", "pl", None),
        ("+48601234568", "Piotr Nowak", "pl", None),
        ("+33612345678", "Camille Martin", "fr", None),
    ],
}


def _user(email: str, *, staff: bool = False, first: str = "", last: str = "") -> User:
    existing = User.objects.filter(email=email).first()
    if existing:
        return existing
    return user_create(
        email=email,
        password=DEMO_PASSWORD,
        first_name=first,
        last_name=last,
        is_staff=staff,
        is_superuser=staff,
        email_verified=True,
    )


def _demo_topup(reseller: Reseller, *, net: str, key: str, paid: bool) -> TopUp:
    """A bank-transfer top-up through the real services; `paid`: its transfer arrived (as a
    statement import would settle it)."""
    topup = topup_create(reseller=reseller, actor=None, net=net, method="bank", form_key=key)
    if paid and topup.is_open:
        topup_settle(
            topup_id=topup.pk,
            settlement=Settlement(
                source=PaymentEvent.Source.STATEMENT,
                status=PaymentStatus.PAID,
                amount=topup.gross,
                currency=topup.currency,
                event_type="line:demo",
            ),
        )
    return topup


def _demo_vies_answer(reseller: Reseller) -> None:
    """VIES's answer for Baltic Voice's VAT ID, stored as the VIES task stores it (the demo
    runs without network): a VIES-confirmed EU company, so its invoices show reverse charge."""
    check = reseller.vat_check
    if check is None or check.status == check.Status.VALID:
        return
    vat_check_record(
        check_id=check.pk,
        answer=ViesAnswer(
            valid=True,
            name=reseller.legal_name.upper(),
            address=f"{reseller.address_line}, {reseller.postal_code} {reseller.city}",
            consultation_number="WAPIAAAAZ0DEMO01",
        ),
    )
    reseller.refresh_from_db()


def _demo_money(reseller: Reseller) -> None:
    """A paid top-up, one waiting for its transfer, and a sale to each customer (idempotent)."""
    if reseller.is_direct:  # a sub-reseller's credit comes from its parent
        _demo_topup(reseller, net="500.00", key="demo-topup", paid=True)
        _demo_topup(reseller, net="250.00", key="demo-topup-open", paid=False)
    seller = reseller.memberships.filter(role=Role.ADMIN).select_related("user").first().user
    amounts = recharge_amounts(reseller=reseller)
    for n, customer in enumerate(reseller.customers.order_by("pk")):
        customer_recharge(  # the real sale: its commission rule, its SMS
            reseller=reseller,
            actor=seller,
            phone=customer.phone,
            amount=amounts[n % len(amounts)],
            idempotency_key=f"demo-recharge-{customer.phone}",
        )


DEMO_TERMS = """1. The reseller sells the operator's credit and services in its own name.
2. Prices, commission and payment terms are those shown in the portal.
3. The reseller keeps its customers' data safe and uses it only to serve them.
4. Either side may end the agreement with 30 days' notice."""

APPLICANT = {
    "legal_name": "Donau Mobil GmbH",
    "country": "AT",
    "address_line": "Praterstraße 20",
    "postal_code": "1020",
    "city": "Wien",
    "vat_id": "ATU13585627",
    "tax_id": "",
    "phone": "+43 1 2345678",
    "email": "applicant@donau.test",
    "website": "https://donau.test",
    "contact_person": "Lukas Huber",
    "currency": "EUR",
    "language": "de",
}


def _demo_application(operator: User) -> None:
    """Published reseller terms and one application waiting for 9 days, with money paid
    before approval in its pending account."""
    terms = TermsDocument.objects.order_by("-version").first() or terms_publish(
        actor=operator, title="Reseller terms", body=DEMO_TERMS
    )
    applicant = Reseller.objects.filter(contact_email=APPLICANT["email"]).first()
    if applicant is None:
        applicant = reseller_apply(
            **APPLICANT,
            password=DEMO_PASSWORD,
            terms_version=terms.version,
            accepted_terms=True,
            ip_address="192.0.2.10",
        )
        # Demo only: the application arrived 9 days ago, so it is highlighted in the queue.
        Reseller.objects.filter(pk=applicant.pk).update(
            created_at=timezone.now() - timedelta(days=9)
        )
        EmailAddress.objects.filter(email=APPLICANT["email"]).update(verified=True)
    _demo_topup(applicant, net="50.00", key="demo-pending-topup", paid=True)


DEMO_INVITEE = "new.colleague@alpha.test"


def _demo_team_and_tree(operator: User, resellers: dict[str, Reseller]) -> None:
    """Alpha Telecom may build sub-resellers two levels deep, has funded Alpha Kiosk Nord and
    has one invitation waiting to be accepted (idempotent)."""
    alpha = resellers["alpha"]
    if not alpha.may_create_subresellers:
        reseller_subreseller_policy_set(
            reseller_id=alpha.pk, actor=operator, may_create=True, depth_limit=2
        )
    admin = User.objects.get(email="admin@alpha.test")
    subreseller_credit_transfer(
        parent=alpha,
        actor=admin,
        child_id=resellers["alpha-kiosk"].pk,
        amount=Decimal("50.00"),
        note="Starting budget (demo)",
        idempotency_key="demo-kiosk-budget",
    )
    if not Invitation.objects.filter(reseller=alpha, email=DEMO_INVITEE).exists():
        invitation_create(
            reseller=alpha,
            actor=admin,
            email=DEMO_INVITEE,
            role=Role.USER,
        )


def _demo_branding(reseller: Reseller, admin: User) -> None:
    """Alpha's colours and name (no own hostname: that needs DNS), and one poster request."""
    branding_update(
        reseller=reseller,
        actor=admin,
        display_name="Alpha Mobile",
        header_colour="#0b5345",
        background_colour="#f4f6f6",
        text_colour="#17202a",
    )
    if not AdvertisingRequest.objects.filter(reseller=reseller).exists():
        advertising_request_create(
            reseller=reseller,
            actor=admin,
            kind=AdvertisingRequest.Kind.POSTER,
            quantity=10,
            recipient=reseller.legal_name,
            address_line=reseller.address_line or "Hauptstraße 1",
            postal_code=reseller.postal_code or "10115",
            city=reseller.city or "Berlin",
            country=str(reseller.country),
            note="A2, in German",
        )


# Alpha's own PayPal (sandbox-looking): its customers top up with PayPal, in `make run`
# through the fake checkout (manage.py payment_fakes), which knows this merchant id.
DEMO_PAYPAL = {
    "receiver_email": "sb-alpha-shop@business.example.com",
    "merchant_id": "Q7VJ3M5KX2P8L",
}


def _demo_paypal(reseller: Reseller, admin: User) -> None:
    """Alpha's customers may top up with PayPal into Alpha's own account."""
    ResellerPaypal.objects.get_or_create(
        reseller=reseller,
        defaults={
            **DEMO_PAYPAL,
            "enabled": True,
            "notify_token": secrets.token_urlsafe(32),
            "updated_by": admin,
        },
    )


class Command(BaseCommand):
    help = "Create the demo operator, resellers, users and customers (idempotent)."

    def handle(self, *args, **options):
        operator = _user(OPERATOR_EMAIL, staff=True, first="Olga", last="Operator")
        if not Authenticator.objects.filter(user=operator, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(operator, DEMO_TOTP_SECRET)

        logins = [("operator staff", OPERATOR_EMAIL, "")]
        resellers: dict[str, Reseller] = {}
        for spec in RESELLERS:
            spec = dict(spec)
            parent_slug = spec.pop("parent")
            reseller = Reseller.objects.filter(slug=spec["slug"]).first()
            if reseller is None:
                reseller = reseller_create(
                    actor=operator,
                    contact_email=f"office@{spec['slug']}.test",
                    parent=resellers[parent_slug] if parent_slug else None,
                    status=Reseller.Status.APPROVED,
                    **spec,
                )
            resellers[reseller.slug] = reseller
            for role in (Role.ADMIN, Role.USER, Role.ACCOUNTANT):
                email = f"{role.value}@{reseller.slug}.test"
                user = _user(email)
                if not user.memberships.filter(reseller=reseller).exists():
                    membership_add(actor=operator, reseller=reseller, user=user, role=role)
                logins.append((f"{reseller.name} {role.label}", email, ""))

        # The parent's Admin also administers the sub-reseller: a user with two tenants.
        parent_admin = User.objects.get(email="admin@alpha.test")
        kiosk = resellers["alpha-kiosk"]
        if not parent_admin.memberships.filter(reseller=kiosk).exists():
            membership_add(actor=operator, reseller=kiosk, user=parent_admin, role=Role.ADMIN)

        for slug, rows in CUSTOMERS.items():
            for phone, name, language, login in rows:
                if Customer.objects.filter(phone=phone).exists():
                    continue
                user = _user(login, first=name.split()[0]) if login else None
                customer_create(
                    actor=operator,
                    reseller=resellers[slug],
                    phone=phone,
                    name=name,
                    language=language,
                    user=user,
                )
        logins.append(("end customer (Alpha Telecom)", "customer@alpha.test", ""))
        _demo_vies_answer(resellers["baltic"])
        for reseller in resellers.values():
            demo_sales_history(  # a month of sales; the kiosk also sells to Alpha's customers
                reseller=reseller,
                extra_customers=resellers["alpha"].customers.all()[:1] if reseller == kiosk else (),
            )
            _demo_money(reseller)
        _demo_branding(resellers["alpha"], parent_admin)
        _demo_paypal(resellers["alpha"], parent_admin)
        _demo_application(operator)
        logins.append(("applicant (pending approval)", APPLICANT["email"], ""))
        _demo_team_and_tree(operator, resellers)
        logins.append(("pending invitation (Alpha Telecom)", DEMO_INVITEE, ""))

        self.stdout.write(self.style.SUCCESS("Demo data is ready. Every login uses the password:"))
        self.stdout.write(f"    {DEMO_PASSWORD}")
        for label, email, _ in logins:
            self.stdout.write(f"  {label:<32} {email}")
        self.stdout.write(
            f"Operator two-factor secret (add it to an authenticator app): {DEMO_TOTP_SECRET}\n"
            "or print the current code with: make totp"
        )
