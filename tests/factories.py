"""Factories. Every factory derives its tenant from its parent, so data never mixes tenants."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User
from accounts.services import invitation_token_hash
from audit.models import AuditEvent
from customers.models import Customer
from resellers.models import AdvertisingRequest, Reseller

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, primary=True, verified=True)


class StaffFactory(UserFactory):
    """Operator staff with TOTP enrolled (pass mfa=False for staff who have not enrolled)."""

    is_staff = True

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            obj.totp_secret = generate_totp_secret()
            TOTP.activate(obj, obj.totp_secret)


class ResellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reseller

    name = factory.Sequence(lambda n: f"Reseller {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} GmbH")
    slug = factory.Sequence(lambda n: f"reseller-{n}")
    country = "DE"
    contact_email = factory.LazyAttribute(lambda o: f"office@{o.slug}.test")
    currency = "EUR"
    status = Reseller.Status.APPROVED
    commission_rate = Decimal("10.00")


class SubResellerFactory(ResellerFactory):
    """A sub-reseller: its currency and country come from its parent."""

    parent = factory.SubFactory(ResellerFactory)
    currency = factory.SelfAttribute("parent.currency")
    country = factory.SelfAttribute("parent.country")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    reseller = factory.SubFactory(ResellerFactory)
    role = Role.ADMIN


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    reseller = factory.SubFactory(ResellerFactory)
    phone = factory.Sequence(lambda n: f"+4917{n:08d}")
    name = factory.Faker("name")
    language = "de"


class CustomerUserFactory(CustomerFactory):
    """A customer who can sign in."""

    user = factory.SubFactory(UserFactory)


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    reseller = factory.SubFactory(ResellerFactory)
    action = "test.event"
    object_type = "resellers.reseller"
    object_id = factory.LazyAttribute(lambda o: str(o.reseller.pk))


class InvitationFactory(factory.django.DjangoModelFactory):
    """An open invitation; the raw token of its link is on `.token` (only its hash is saved)."""

    class Meta:
        model = Invitation

    reseller = factory.SubFactory(ResellerFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Role.USER
    token = factory.Sequence(lambda n: f"test-invitation-token-{n}")
    token_hash = factory.LazyAttribute(lambda o: invitation_token_hash(o.token))
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.token = token
        return invitation


class AdvertisingRequestFactory(factory.django.DjangoModelFactory):
    """A request for leaflets, delivered to its reseller's address."""

    class Meta:
        model = AdvertisingRequest

    reseller = factory.SubFactory(ResellerFactory)
    kind = AdvertisingRequest.Kind.LEAFLET
    quantity = 500
    recipient = factory.LazyAttribute(lambda o: o.reseller.legal_name)
    address_line = "Hauptstraße 5"
    postal_code = "10115"
    city = "Berlin"
    country = factory.LazyAttribute(lambda o: o.reseller.country)
