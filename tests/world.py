"""A two-tenant world for access tests, and a client signed in as each role.

Each tenant also holds the payments the payment pages list (issue 13): a card top-up paid
and partly refunded at the provider (so still refundable), and an open bank transfer; the
operator has a bank statement import with one line waiting in the queue. All of it goes
through the real services, without a provider: the card payment is settled as staff would.
With payments, each tenant also has invoice documents (`invoices_for`): an invoice (rendered),
a credit note correcting it (not rendered yet) and this month's export (ready); and 100.00 of
commission credit with a payout of 30.00 requested; the operator has a SEPA payout file of
tenant A's (a second payout, 25.00, exported, not confirmed). Its customers' own PayPal
(issue 15, `customer_paypal_for`): the reseller's PayPal account, a customer's payment waiting
for sales credit and the verified IPN that paid it; and a PayPal top-up the customer opened in
the portal and has not paid yet (`customer_topup_for`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from uuid import uuid4

from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import Role, User
from billing.models import Invoice, InvoiceDocument, InvoiceExport
from billing.services.invoices import LineSpec, invoice_issue
from customers.models import Customer
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import OperatorAccount, ledger_post, reseller_account
from payments.gateways.base import EventKind, Notification, PaymentStatus
from payments.models import (
    CustomerPayment,
    Method,
    Payout,
    PayoutBatch,
    PaypalIpn,
    ResellerPaypal,
    StatementImport,
    StatementLine,
    TopUp,
    TopUpRefund,
)
from payments.services.customer_checkout import customer_payment_open
from payments.services.payouts import payout_approve, payout_request, payouts_export
from payments.services.paypal_ipn import reseller_paypal_set
from payments.services.refunds import refund_from_provider
from payments.services.statements import statement_import_create, statement_import_run
from payments.services.topups import Settlement, topup_create, topup_settle
from resellers.models import AdvertisingRequest, Reseller
from tests.factories import (
    AdvertisingRequestFactory,
    CustomerUserFactory,
    MembershipFactory,
    ResellerFactory,
    StaffFactory,
    SubResellerFactory,
)

ROLES = ("anonymous", "customer", "user", "accountant", "admin", "staff", "staff_no_mfa")


@dataclass
class Tenant:
    reseller: Reseller
    admin: User
    user: User
    accountant: User
    customer: Customer
    child: Reseller
    sales_credit: LedgerAccount
    topup: LedgerTransaction
    advertising_request: AdvertisingRequest | None = None
    card_topup: TopUp | None = None  # paid by card, 10.00 refunded at the provider
    bank_topup: TopUp | None = None  # an open bank transfer (its proforma)
    refund: TopUpRefund | None = None  # the card top-up's refund
    invoice: Invoice | None = None  # paid, rendered (its files exist)
    credit_note: Invoice | None = None  # corrects `invoice`, not rendered yet
    invoice_export: InvoiceExport | None = None  # this month's, ready
    payout: Payout | None = None  # of commission credit, requested (staff may decide it)
    customer_topup: CustomerPayment | None = None  # the customer's PayPal top-up, not paid yet
    customer_payment: CustomerPayment | None = None  # paid by PayPal, waiting for funds
    paypal_ipn: PaypalIpn | None = None  # the verified IPN that paid it

    def person(self, role: str) -> User | None:
        return {
            "admin": self.admin,
            "user": self.user,
            "accountant": self.accountant,
            "customer": self.customer.user,
        }.get(role)


@dataclass
class World:
    a: Tenant
    b: Tenant
    staff: User
    staff_no_mfa: User
    statement: StatementImport | None = None
    statement_line: StatementLine | None = None  # unmatched: waits in the queue
    payout_batch: PayoutBatch | None = None  # a SEPA file of tenant A's, exported

    def client_for(self, role: str, tenant: Tenant | None = None) -> Client:
        """A client signed in as `role` (of tenant A unless another is given)."""
        tenant = tenant or self.a
        client = Client()
        if role == "anonymous":
            return client
        person = {"staff": self.staff, "staff_no_mfa": self.staff_no_mfa}.get(
            role
        ) or tenant.person(role)
        client.force_login(person)
        return client


def fund(reseller: Reseller, net: str = "100.00", vat: str = "19.00") -> LedgerTransaction:
    """A PayPal top-up as in the brief: Dr clearing / Cr sales credit / Cr VAT payable."""
    gross = str(Decimal(net) + Decimal(vat))
    return ledger_post(
        kind=LedgerTransaction.Kind.TOPUP,
        currency=str(reseller.currency),
        legs=[
            (OperatorAccount(LedgerAccount.Kind.CLEARING_PAYPAL), "-" + gross),
            (reseller_account(reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT), net),
            (OperatorAccount(LedgerAccount.Kind.VAT_PAYABLE), vat),
        ],
        idempotency_key=f"test-topup-{uuid4()}",
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
        memo="PayPal top-up",
    )


def card_topup_paid(reseller: Reseller, actor: User, net: str = "100.00") -> TopUp:
    """A card top-up, paid: opened by the service (Stripe counts as configured for that
    moment only: nothing here calls it) and settled as operator staff would settle it."""
    with override_settings(STRIPE_SECRET_KEY="sk_test_world_never_called"):
        topup = topup_create(
            reseller=reseller, actor=actor, net=net, method=Method.STRIPE, form_key=str(uuid4())
        )
    charge = f"pi_world_{topup.pk}"
    settled = topup_settle(
        topup_id=topup.pk,
        settlement=Settlement(
            source="staff",
            status=PaymentStatus.PAID,
            amount=topup.gross,
            currency=topup.currency,
            provider_payment_id=f"cs_world_{topup.pk}",
            provider_charge_id=charge,
        ),
    )
    return settled.topup


def refunded_at_the_provider(topup: TopUp, gross: str) -> TopUpRefund:
    """The provider reports `gross` refunded on its dashboard: reversed from the credit."""
    note = Notification(
        provider=str(topup.method),
        event_id=f"evt_world_refund_{topup.pk}",
        event_type="charge.refunded",
        kind=EventKind.REFUNDED,
        provider_charge_id=topup.provider_charge_id,
        amount=topup.gross,
        currency=topup.currency,
        refunded_total=Decimal(gross),
    )
    return refund_from_provider(topup_id=topup.pk, note=note)


def bank_topup_open(reseller: Reseller, actor: User, net: str = "250.00") -> TopUp:
    return topup_create(
        reseller=reseller, actor=actor, net=net, method=Method.BANK, form_key=str(uuid4())
    )


# A Sparkasse export with one credit that names no reference and fits no top-up (a line is
# imported once ever: its text differs in each world).
_STATEMENT = (
    '"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";'
    '"Glaeubiger ID";"Mandatsreferenz";"Kundenreferenz (End-to-End)";"Sammlerreferenz";'
    '"Lastschrift Ursprungsbetrag";"Auslagenersatz Ruecklastschrift";'
    '"Beguenstigter/Zahlungspflichtiger";"Kontonummer/IBAN";"BIC (SWIFT-Code)";"Betrag";'
    '"Waehrung";"Info"\n'
    '"DE89370400440532013000";"27.11.26";"27.11.26";"GUTSCHR. UEBERWEISUNG";'
    '"Aufladung Kundennummer {customer}";"";"";"NOTPROVIDED";"";"";"";"Nordfunk GmbH";'
    '"DE91100000000123456789";"MARKDEF1100";"{amount}";"EUR";"Umsatz gebucht"\n'
)


def statement_with_a_queued_line(
    actor: User, amount: str = "77,70", reference: str = ""
) -> StatementImport:
    """A statement import, read at once (the task's service), with one line in the queue:
    unmatched, or (with the `reference` of an open bank top-up, and less than it) partial."""
    text = f"{reference} {uuid4().hex[:10]}".strip()
    content = _STATEMENT.format(amount=amount, customer=text).encode()
    statement = statement_import_create(actor=actor, file_name="world.csv", content=content)
    return statement_import_run(import_id=statement.pk)


def document_for(invoice: Invoice, pdf: bytes = b"%PDF-1.7 world", xml: bytes = b"<x/>"):
    """The rendered files of `invoice`, as billing.services.documents would store them (small
    stand-ins for a real PDF and XML)."""
    document = InvoiceDocument.objects.create(
        invoice=invoice,
        pdf=pdf,
        xml=xml,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        xml_sha256=hashlib.sha256(xml).hexdigest(),
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        render_status=Invoice.Render.READY, pdf_sha256=document.pdf_sha256
    )
    return document


def invoice_paid(reseller: Reseller, *, net: str = "100.00", key: str = "") -> Invoice:
    """An invoice for a paid top-up of `net` (domestic VAT, 19 %), issued by the service."""
    with transaction.atomic():
        return invoice_issue(
            reseller=reseller,
            source_key=key or f"world-invoice:{uuid4()}",
            currency=str(reseller.currency),
            treatment="domestic",
            vat_rate=Decimal("19.00"),
            lines=[LineSpec(description="Sales credit", unit_price=Decimal(net))],
            supply_date=timezone.localdate(),
            paid_at=timezone.now(),
            payment_method="stripe",
            payment_reference=f"TU-{uuid4().hex[:8].upper()}",
        )


def invoices_for(tenant: Tenant) -> None:
    """The tenant's invoice documents (issue 14): the invoice its paid card top-up issued,
    rendered; the credit note its provider refund issued (its files not rendered yet); and
    this month's export, ready."""
    invoice = Invoice.objects.get(source_key=f"topup:{tenant.card_topup.pk}")
    if not InvoiceDocument.objects.filter(invoice=invoice).exists():
        document_for(invoice)  # drawn already when the world committed (a live server's)
    tenant.invoice = invoice
    tenant.credit_note = Invoice.objects.get(source_key=f"topup-refund:{tenant.refund.pk}")
    tenant.invoice_export = InvoiceExport.objects.create(
        reseller=tenant.reseller,
        requested_by=tenant.accountant,
        month=timezone.localdate().replace(day=1),
        status=InvoiceExport.Status.READY,
        total=1,
        done=1,
        archive=b"PK\x05\x06" + bytes(18),  # an empty ZIP
        sha256=hashlib.sha256(b"PK\x05\x06" + bytes(18)).hexdigest(),
        finished_at=timezone.now(),
    )


def commission_earned(reseller: Reseller, amount: str = "100.00") -> LedgerTransaction:
    """Commission as a recharge books it: Dr operator commission expense / Cr commission."""
    return ledger_post(
        kind=LedgerTransaction.Kind.COMMISSION,
        currency=str(reseller.currency),
        legs=[
            (OperatorAccount(LedgerAccount.Kind.COMMISSION_EXPENSE), "-" + amount),
            (reseller_account(reseller=reseller, kind=LedgerAccount.Kind.COMMISSION), amount),
        ],
        idempotency_key=f"test-commission-{uuid4()}",
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
        # A reference, not a word: the page walks read the cashbook for English left.
        memo=f"C-{reseller.pk}",
    )


def payout_requested(reseller: Reseller, actor: User, amount: str = "30.00") -> Payout:
    return payout_request(
        reseller=reseller,
        actor=actor,
        amount=amount,
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        holder=reseller.legal_name[:70],
        form_key=str(uuid4()),
    )


def payout_batch_exported(tenant: Tenant, staff: User) -> PayoutBatch:
    """A payout of the tenant's approved and exported in a SEPA file (not confirmed)."""
    payout = payout_requested(tenant.reseller, tenant.admin, "25.00")
    payout_approve(payout_id=payout.pk, actor=staff)
    return payouts_export(actor=staff)


def customer_paypal_for(tenant: Tenant) -> None:
    """The tenant's PayPal for its customers (issue 15): its account, a customer's payment
    PayPal confirmed (waiting for sales credit) and the IPN that said so."""
    reseller = tenant.reseller
    account = reseller_paypal_set(
        reseller=reseller,
        actor=tenant.admin,
        receiver_email=f"paypal-{reseller.pk}@shop.example",
        merchant_id=f"WORLD{reseller.pk:08d}"[-13:],
        enabled=True,
    )
    txn_id = f"WORLD{reseller.pk:012d}"
    tenant.customer_payment = CustomerPayment.objects.create(
        reseller=reseller,
        customer=tenant.customer,
        provider=CustomerPayment.Provider.PAYPAL,
        status=CustomerPayment.Status.NEEDS_FUNDS,
        amount=Decimal("20.00"),
        currency=str(reseller.currency),
        reference=f"CPW{uuid4().hex[:12].upper()}",
        provider_payment_id=txn_id,
        form_key=uuid4().hex,
        paid_at=timezone.now(),
    )
    body = (
        f"txn_type=web_accept&txn_id={txn_id}&payment_status=Completed"
        f"&receiver_email={account.receiver_email}&receiver_id={account.merchant_id}"
        f"&mc_gross=20.00&mc_currency={reseller.currency}"
        f"&invoice={tenant.customer_payment.reference}&charset=UTF-8"
    ).encode()
    tenant.paypal_ipn = PaypalIpn.objects.create(
        reseller=reseller,
        body=body,
        txn_id=txn_id,
        txn_type="web_accept",
        payment_status="Completed",
        receiver_email=account.receiver_email,
        receiver_id=account.merchant_id,
        invoice=tenant.customer_payment.reference,
        gross=Decimal("20.00"),
        currency=str(reseller.currency),
        verdict=PaypalIpn.Verdict.VERIFIED,
        outcome=PaypalIpn.Outcome.APPLIED,
        note=PaypalIpn.Note.PAID,
        customer_payment=tenant.customer_payment,
        verified_at=timezone.now(),
        processed_at=timezone.now(),
        attempts=1,
    )


def build_tenant(label: str, *, payments: bool = False) -> Tenant:
    reseller = ResellerFactory(name=f"Tenant {label}")
    topup = fund(reseller)
    admin = MembershipFactory(reseller=reseller, role=Role.ADMIN).user
    card = refund = bank = None
    if payments:
        card = card_topup_paid(reseller, admin)
        refund = refunded_at_the_provider(card, "10.00")
        card.refresh_from_db()
        bank = bank_topup_open(reseller, admin)
    tenant = Tenant(
        sales_credit=reseller_account(reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT),
        topup=topup,
        reseller=reseller,
        admin=admin,
        user=MembershipFactory(reseller=reseller, role=Role.USER).user,
        accountant=MembershipFactory(reseller=reseller, role=Role.ACCOUNTANT).user,
        customer=CustomerUserFactory(reseller=reseller),
        child=SubResellerFactory(parent=reseller, name=f"Tenant {label} child"),
        advertising_request=AdvertisingRequestFactory(reseller=reseller),
        card_topup=card,
        bank_topup=bank,
        refund=refund,
    )
    if payments:
        invoices_for(tenant)
        commission_earned(reseller)
        tenant.payout = payout_requested(reseller, admin)
        customer_paypal_for(tenant)
        customer_topup_for(tenant)
    return tenant


def customer_topup_for(tenant: Tenant) -> None:
    """The customer portal's top-up (issue 15): the reseller's own PayPal account, enabled
    (unless it has one), and its customer's PayPal top-up of 20.00, opened, not paid."""
    slug = tenant.reseller.pk
    ResellerPaypal.objects.get_or_create(
        reseller=tenant.reseller,
        defaults={
            "receiver_email": f"sales-{slug}@paypal.example.test",
            "merchant_id": f"WORLDMERCH{slug:05d}",
            "enabled": True,
            "notify_token": f"world-{slug}-{uuid4().hex}",
        },
    )
    tenant.customer_topup = customer_payment_open(
        customer=tenant.customer,
        amount="20",
        provider=CustomerPayment.Provider.PAYPAL,
        form_key=str(uuid4()),
    )


def build_world(*, payments: bool = False) -> World:
    """With `payments`, the payment rows too (the page walks); without, balances stay as
    the ledger tests count them."""
    staff = StaffFactory()
    statement = statement_with_a_queued_line(staff) if payments else None
    a = build_tenant("A", payments=payments)
    return World(
        a=a,
        b=build_tenant("B", payments=payments),
        staff=staff,
        staff_no_mfa=StaffFactory(mfa=False),
        statement=statement,
        statement_line=statement.lines.get() if statement else None,
        payout_batch=payout_batch_exported(a, staff) if payments else None,
    )
