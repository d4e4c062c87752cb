"""A two-tenant world for access tests, and a client signed in as each role."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client

from accounts.models import Role, User
from customers.models import Customer
from resellers.models import Reseller
from tests.factories import (
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


def build_tenant(label: str) -> Tenant:
    reseller = ResellerFactory(name=f"Tenant {label}")
    return Tenant(
        reseller=reseller,
        admin=MembershipFactory(reseller=reseller, role=Role.ADMIN).user,
        user=MembershipFactory(reseller=reseller, role=Role.USER).user,
        accountant=MembershipFactory(reseller=reseller, role=Role.ACCOUNTANT).user,
        customer=CustomerUserFactory(reseller=reseller),
        child=SubResellerFactory(parent=reseller, name=f"Tenant {label} child"),
    )


def build_world() -> World:
    return World(
        a=build_tenant("A"),
        b=build_tenant("B"),
        staff=StaffFactory(),
        staff_no_mfa=StaffFactory(mfa=False),
    )
