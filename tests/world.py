"""A two-tenant world for access tests, and a client signed in as each role."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import uuid4

from django.test import Client

from accounts.models import Role, User
from customers.models import Customer
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import OperatorAccount, ledger_post, reseller_account
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


def build_tenant(label: str) -> Tenant:
    reseller = ResellerFactory(name=f"Tenant {label}")
    topup = fund(reseller)
    return Tenant(
        sales_credit=reseller_account(reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT),
        topup=topup,
        reseller=reseller,
        admin=MembershipFactory(reseller=reseller, role=Role.ADMIN).user,
        user=MembershipFactory(reseller=reseller, role=Role.USER).user,
        accountant=MembershipFactory(reseller=reseller, role=Role.ACCOUNTANT).user,
        customer=CustomerUserFactory(reseller=reseller),
        child=SubResellerFactory(parent=reseller, name=f"Tenant {label} child"),
        advertising_request=AdvertisingRequestFactory(reseller=reseller),
    )


def build_world() -> World:
    return World(
        a=build_tenant("A"),
        b=build_tenant("B"),
        staff=StaffFactory(),
        staff_no_mfa=StaffFactory(mfa=False),
    )
