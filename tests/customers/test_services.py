"""Customer services: phone numbers, recharge (ledger legs, commission, idempotency, refusals),
credentials, suspension."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.db import connection
from django.utils import translation

from audit.models import AuditEvent
from core.phones import InvalidPhoneNumber, phone_normalise
from customers import services as customer_services
from customers.models import CommissionTier, Customer
from customers.services import (
    CustomerStateError,
    RechargeError,
    customer_create,
    customer_credentials_reset,
    customer_reactivate,
    customer_recharge,
    customer_suspend,
)
from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from ledger.selectors import operator_balance
from ledger.services import customer_account, reseller_account
from sms.models import Message
from tests.factories import CustomerFactory, CustomerUserFactory, MembershipFactory, ResellerFactory
from tests.world import fund

Kind = LedgerAccount.Kind
NEW = "+491791234567"


@pytest.mark.parametrize(
    "raw", ["491791234567", "+49 179 1234567", "0049 179 1234567", " +49-179-123 4567 "]
)
def test_the_faq_formats_of_a_number_normalise_to_e164(raw):
    assert phone_normalise(raw) == "+491791234567"


def test_a_national_number_uses_the_resellers_country():
    assert phone_normalise("0179 1234567", default_region="DE") == "+491791234567"
    assert phone_normalise("0612345678", default_region="FR") == "+33612345678"
    assert phone_normalise("48 512 345 678") == "+48512345678"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "no digits"),
        ("abc", "no digits"),
        ("+49 12", "valid"),
        ("0049", "not a valid number"),
        ("+999 123456789", "country code"),
        ("0179 1234567", "country code"),  # national, but no country to read it in
        ("+49 30 12345678", "not a mobile number"),  # a Berlin landline
        ("+49 179 12345678901234", "wrong length"),
    ],
)
def test_bad_numbers_are_refused_with_the_reason(raw, why):
    with pytest.raises(InvalidPhoneNumber) as caught:
        phone_normalise(raw)
    assert why in str(caught.value)


@pytest.mark.django_db
def test_customer_create_stores_e164_and_audits():
    reseller = ResellerFactory()
    customer = customer_create(actor=None, reseller=reseller, phone="0049 179 1234567")
    assert customer.phone == "+491791234567"
    assert AuditEvent.objects.filter(action="customer.created", reseller=reseller).count() == 1


# --- Recharge ---------------------------------------------------------------------------------


@pytest.fixture
def seller(db):
    """An approved EUR reseller with 100 sales credit, 10 % commission, and a User."""
    reseller = ResellerFactory(commission_rate=Decimal("10.00"))
    fund(reseller, net="100.00")
    user = MembershipFactory(reseller=reseller, role="user").user
    return reseller, user


def balance(account) -> Decimal:
    account.refresh_from_db()
    return account.balance


def test_a_new_number_registers_a_customer_and_posts_one_four_leg_recharge(seller):
    reseller, user = seller
    result = customer_recharge(
        reseller=reseller, actor=user, phone="0049 179 1234567", amount="20", idempotency_key="k1"
    )
    assert result.created and not result.replayed and result.owned
    customer = Customer.objects.get(phone=NEW)
    assert customer.reseller == reseller and customer.password_change_required
    assert customer.user.email == "491791234567@customers.tessera.invalid"
    assert customer.language == "de"
    assert customer.user.has_usable_password()
    txn = result.transaction
    assert txn.kind == LedgerTransaction.Kind.RECHARGE and txn.reseller == reseller
    assert txn.actor == user
    assert txn.metadata == {
        "customer_id": customer.pk,
        "phone": NEW,
        "amount": "20.0000",
        "commission": "2.00",
        "commission_rate": "10.00",  # no plan: the flat rate, no plan_id
    }
    legs = {
        (e.account.owner_type, e.account.kind): e.amount
        for e in LedgerEntry.objects.filter(transaction=txn).select_related("account")
    }
    assert legs == {
        ("reseller", Kind.SALES_CREDIT): Decimal("-20"),
        ("customer", Kind.BALANCE): Decimal("20"),
        ("operator", Kind.COMMISSION_EXPENSE): Decimal("-2"),
        ("reseller", Kind.COMMISSION): Decimal("2"),
    }
    assert balance(reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)) == Decimal(80)
    assert balance(reseller_account(reseller=reseller, kind=Kind.COMMISSION)) == Decimal(2)
    assert balance(customer_account(customer=customer)) == Decimal(20)
    assert operator_balance(kind=Kind.COMMISSION_EXPENSE, currency="EUR") == Decimal(-2)
    assert result.sales_credit_left == Decimal(80)
    event = AuditEvent.objects.get(reseller=reseller, action="customer.recharged")
    assert event.actor == user and event.object_id == str(customer.pk)
    assert event.data["new_customer"] is True and event.data["transaction_id"] == txn.pk


def test_an_existing_number_grows_its_balance(seller):
    reseller, user = seller
    customer = CustomerFactory(reseller=reseller, phone=NEW)
    customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="a")
    result = customer_recharge(
        reseller=reseller, actor=user, phone="491791234567", amount="20", idempotency_key="b"
    )
    assert not result.created and result.customer == customer
    assert balance(customer_account(customer=customer)) == Decimal(30)
    assert Customer.objects.count() == 1


def test_the_same_key_recharges_once(seller):
    reseller, user = seller
    results = [
        customer_recharge(
            reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="same"
        )
        for _ in range(5)
    ]
    assert [r.replayed for r in results] == [False, True, True, True, True]
    assert all(r.created for r in results)  # the first send registered the customer
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 1
    assert balance(reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)) == Decimal(90)


def test_the_same_key_for_another_number_is_refused(seller):
    reseller, user = seller
    customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="k")
    with pytest.raises(RechargeError, match="already used"):
        customer_recharge(
            reseller=reseller, actor=user, phone="+491791234568", amount="10", idempotency_key="k"
        )
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 1


def test_a_replay_after_the_rate_changed_returns_the_first_recharge(seller):
    """The replayed form's posting would book another commission (the rate changed in
    between): it is still the same form, so it gets the first result and moves nothing."""
    reseller, user = seller
    first = customer_recharge(
        reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="rate"
    )
    CommissionTier.objects.create(reseller=reseller, min_amount=Decimal("0"), rate=Decimal("25"))
    again = customer_recharge(
        reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="rate"
    )
    assert again.replayed and again.transaction.pk == first.transaction.pk
    assert again.commission == first.commission
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 1
    assert balance(reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)) == Decimal(90)


def test_not_enough_sales_credit_changes_nothing(seller):
    reseller, user = seller
    before = (
        Customer.objects.count(),
        LedgerTransaction.objects.count(),
        AuditEvent.objects.count(),
    )
    customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="50", idempotency_key="1")
    customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="50", idempotency_key="2")
    after_two = (Customer.objects.count(), LedgerTransaction.objects.count())
    audits = AuditEvent.objects.count()
    with pytest.raises(RechargeError, match=r"Not enough sales credit: €0\.00 available"):
        customer_recharge(
            reseller=reseller, actor=user, phone="+491791234568", amount="5", idempotency_key="3"
        )
    assert (Customer.objects.count(), LedgerTransaction.objects.count()) == after_two
    assert AuditEvent.objects.count() == audits
    assert not Customer.objects.filter(phone="+491791234568").exists()
    assert before[0] + 1 == after_two[0]


@pytest.mark.parametrize(
    ("amount", "message"),
    [("7", "not an amount you can sell"), ("abc", "Choose one"), ("-5", "not an amount")],
)
def test_an_amount_the_operator_does_not_offer_is_refused(seller, amount, message):
    reseller, user = seller
    with pytest.raises(RechargeError, match=message):
        customer_recharge(
            reseller=reseller, actor=user, phone=NEW, amount=amount, idempotency_key="x"
        )
    assert not Customer.objects.exists()


def test_amounts_follow_the_resellers_currency(db):
    reseller = ResellerFactory(currency="PLN", country="PL", commission_rate=Decimal("5"))
    fund(reseller, net="500.00")
    user = MembershipFactory(reseller=reseller).user
    allowed = "20,00 zł, 50,00 zł, 100,00 zł, 200,00 zł".replace(" zł", "\u00a0zł")
    with translation.override("pl"), pytest.raises(RechargeError, match=allowed):
        customer_recharge(
            reseller=reseller, actor=user, phone="+48512345678", amount="5", idempotency_key="p"
        )
    result = customer_recharge(
        reseller=reseller, actor=user, phone="512 345 678", amount="100", idempotency_key="q"
    )
    assert result.customer.phone == "+48512345678" and result.commission == Decimal("5.00")
    assert result.customer.language == "pl"


def test_a_bad_number_is_refused_and_nothing_changes(seller):
    reseller, user = seller
    with pytest.raises(InvalidPhoneNumber, match="not a mobile number"):
        customer_recharge(
            reseller=reseller, actor=user, phone="+49 30 12345678", amount="5", idempotency_key="b"
        )
    assert not LedgerTransaction.objects.filter(kind="recharge").exists()


def test_a_suspended_customer_cannot_be_recharged(seller):
    reseller, user = seller
    CustomerFactory(reseller=reseller, phone=NEW, status=Customer.Status.SUSPENDED)
    with pytest.raises(RechargeError, match="suspended"):
        customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="5", idempotency_key="s")


def test_another_resellers_customer_is_recharged_when_the_operator_allows_it(seller):
    reseller, user = seller
    owner = ResellerFactory()
    customer = CustomerFactory(reseller=owner, phone=NEW, name="Jana Nowak")
    result = customer_recharge(
        reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="c"
    )
    assert not result.owned and result.display_name == "J*** N***"
    assert result.transaction.reseller == reseller
    assert balance(customer_account(customer=customer)) == Decimal(10)
    customer.refresh_from_db()
    assert customer.reseller == owner  # the owner does not change
    message = Message.objects.get(customer=customer)  # the owner's, with the balance
    assert message.reseller == owner and "Neues Guthaben: 10,00 €." in message.body


def test_another_resellers_customer_is_refused_when_the_operator_forbids_it(seller, settings):
    settings.TESSERA_CROSS_RESELLER_RECHARGE = False
    reseller, user = seller
    CustomerFactory(reseller=ResellerFactory(), phone=NEW)
    with pytest.raises(RechargeError, match="customer of another reseller"):
        customer_recharge(
            reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="c"
        )


def test_a_customer_in_another_currency_is_refused(seller):
    reseller, user = seller
    CustomerFactory(reseller=ResellerFactory(currency="PLN", country="PL"), phone=NEW)
    with pytest.raises(RechargeError, match="balance is in PLN; you sell in EUR"):
        customer_recharge(
            reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="c"
        )


def test_an_unapproved_reseller_cannot_sell(db):
    reseller = ResellerFactory(status="applied")
    user = MembershipFactory(reseller=reseller).user
    with pytest.raises(RechargeError, match="approved"):
        customer_recharge(
            reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="c"
        )


# --- Commission tiers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "commission"),
    [("5", "0.50"), ("10", "0.50"), ("20", "1.60"), ("50", "4.00")],
)
def test_the_resellers_own_tier_applies(seller, amount, commission):
    reseller, user = seller
    CommissionTier.objects.create(reseller=reseller, min_amount=Decimal("0"), rate=Decimal("10"))
    CommissionTier.objects.create(reseller=reseller, min_amount=Decimal("10"), rate=Decimal("5"))
    CommissionTier.objects.create(reseller=reseller, min_amount=Decimal("20"), rate=Decimal("8"))
    CommissionTier.objects.create(reseller=None, min_amount=Decimal("0"), rate=Decimal("1"))
    result = customer_recharge(
        reseller=reseller, actor=user, phone=NEW, amount=amount, idempotency_key="t"
    )
    assert result.commission == Decimal(commission)
    assert balance(reseller_account(reseller=reseller, kind=Kind.COMMISSION)) == Decimal(commission)


def test_the_default_tier_applies_without_an_own_tier_then_the_flat_rate(seller):
    reseller, user = seller  # flat 10 %
    CommissionTier.objects.create(reseller=None, min_amount=Decimal("20"), rate=Decimal("3"))
    other = ResellerFactory()
    CommissionTier.objects.create(reseller=other, min_amount=Decimal("0"), rate=Decimal("50"))
    small = customer_recharge(
        reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="1"
    )
    big = customer_recharge(
        reseller=reseller, actor=user, phone=NEW, amount="20", idempotency_key="2"
    )
    assert (small.commission, big.commission) == (Decimal("1.00"), Decimal("0.60"))


def test_no_commission_posts_two_legs(db):
    reseller = ResellerFactory(commission_rate=Decimal("0"))
    fund(reseller)
    user = MembershipFactory(reseller=reseller).user
    result = customer_recharge(
        reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="z"
    )
    assert result.commission == 0
    assert result.transaction.entries.count() == 2


# --- Robustness ------------------------------------------------------------------------------


def test_accounts_that_cannot_be_locked_are_a_recharge_error_after_one_retry(
    seller, monkeypatch, django_assert_max_num_queries
):
    """The customer's balance account is created in a currency the lock does not look for
    (as if its owner sold in another): after creating what was missing and looking once more,
    the recharge gives up with a RechargeError instead of recursing without end."""
    reseller, user = seller
    customer = CustomerFactory(reseller=reseller, phone=NEW)  # no balance account yet
    monkeypatch.setattr(
        customer_services,
        "customer_account",
        lambda *, customer: customer_account(customer=customer, currency="USD"),
    )
    with django_assert_max_num_queries(40), pytest.raises(RechargeError, match="accounts"):
        customer_recharge(
            reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="stuck"
        )
    assert not LedgerTransaction.objects.filter(kind="recharge").exists()
    assert not customer.ledger_accounts.filter(currency="EUR").exists()


@pytest.mark.django_db(transaction=True)
def test_a_new_customers_password_is_hashed_before_the_transaction_opens(
    monkeypatch, settings, caplog
):
    """PBKDF2 takes a while by design: no database connection may wait in a transaction
    meanwhile (as customer_credentials_reset does it)."""
    settings.SMS_BACKEND = "console"  # sent at commit: the log has the text as sent
    caplog.set_level("INFO", logger="sms.backends")
    reseller = ResellerFactory(commission_rate=Decimal("10.00"))
    fund(reseller, net="100.00")
    user = MembershipFactory(reseller=reseller, role="user").user
    in_transaction = []

    def spy(password, *args, **kwargs):
        in_transaction.append(connection.in_atomic_block)
        return make_password(password, *args, **kwargs)

    monkeypatch.setattr(customer_services, "make_password", spy)
    result = customer_recharge(
        reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="new"
    )
    assert result.created
    assert in_transaction == [False]
    sms = Message.objects.get(customer=result.customer, template="customer_welcome")
    assert sms.status == Message.Status.SENT and sms.secret_body == ""
    (sent,) = [r.getMessage() for r in caplog.records if r.name == "sms.backends"]
    assert check_password_of(result.customer, sent)


def check_password_of(customer: Customer, text: str) -> bool:
    """The password the welcome SMS carried (`text`, as sent) is the one stored."""
    password = re.search(r"Passwort: (\S+)|Password: (\S+)", text)
    password = next(group for group in password.groups() if group)
    customer.user.refresh_from_db()
    return check_password(password, customer.user.password)


# --- Credentials and status -------------------------------------------------------------------


def test_resend_credentials_sets_a_new_password_to_change(seller):
    reseller, user = seller
    customer = CustomerUserFactory(reseller=reseller)
    old_hash = customer.user.password
    customer_credentials_reset(reseller=reseller, actor=user, customer_id=customer.pk)
    customer.refresh_from_db()
    customer.user.refresh_from_db()
    assert customer.password_change_required
    assert customer.user.password != old_hash
    assert not check_password("correct-horse-battery-9", customer.user.password)
    assert AuditEvent.objects.filter(action="customer.credentials_reset").count() == 1


def test_resend_credentials_creates_a_login_for_a_customer_without_one(seller):
    reseller, user = seller
    customer = CustomerFactory(reseller=reseller, phone=NEW)
    customer_credentials_reset(reseller=reseller, actor=user, customer_id=customer.pk)
    customer.refresh_from_db()
    assert customer.user.email == "491791234567@customers.tessera.invalid"


def test_status_services_act_on_own_customers_only_and_audit(seller):
    reseller, user = seller
    customer = CustomerFactory(reseller=reseller)
    customer_suspend(reseller=reseller, actor=user, customer_id=customer.pk)
    with pytest.raises(CustomerStateError):
        customer_suspend(reseller=reseller, actor=user, customer_id=customer.pk)
    customer_reactivate(reseller=reseller, actor=user, customer_id=customer.pk)
    with pytest.raises(CustomerStateError):
        customer_reactivate(reseller=reseller, actor=user, customer_id=customer.pk)
    actions = list(
        AuditEvent.objects.filter(object_id=str(customer.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["customer.suspended", "customer.reactivated"]
    foreign = CustomerFactory(reseller=ResellerFactory())
    with pytest.raises(Customer.DoesNotExist):
        customer_suspend(reseller=reseller, actor=user, customer_id=foreign.pk)
    foreign.refresh_from_db()
    assert foreign.status == Customer.Status.ACTIVE


# --- SMS --------------------------------------------------------------------------------------


def test_a_new_customer_gets_the_credentials_by_sms_and_they_work(seller):
    reseller, user = seller
    customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="w")
    message = Message.objects.get()
    assert (message.template, message.recipient, message.reseller) == (
        "customer_welcome",
        NEW,
        reseller,
    )
    assert message.language == "de"
    # Queued (not sent yet in this test): the text to send has it, the stored body the mask.
    password = re.search(r"Passwort: (\S+)|Password: (\S+)", message.text_to_send())
    password = next(group for group in password.groups() if group)
    customer = Customer.objects.get(phone=NEW)
    assert message.customer == customer
    assert customer.user.check_password(password)
    assert password not in message.body and "Passwort: ********" in message.body
    assert "http://testserver/my/" in message.body


def test_an_existing_customer_gets_the_new_balance_by_sms(seller):
    reseller, user = seller
    customer = CustomerFactory(reseller=reseller, phone=NEW, language="en")
    customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="1")
    customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="20", idempotency_key="2")
    bodies = list(
        Message.objects.filter(customer=customer).order_by("id").values_list("body", flat=True)
    )
    assert len(bodies) == 2
    assert "€10.00 added" in bodies[0] and "New balance: €10.00." in bodies[0]
    assert "€20.00 added" in bodies[1] and "New balance: €30.00." in bodies[1]


def test_the_recharge_sms_writes_amounts_as_the_customers_german(seller):
    reseller, user = seller
    fund(reseller, net="2000.00")
    customer = CustomerFactory(reseller=reseller, phone=NEW, language="de")
    customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="10", idempotency_key="1")
    for key in "23":  # to a balance that groups its thousands
        customer_recharge(
            reseller=reseller, actor=user, phone=NEW, amount="50", idempotency_key=key
        )
    bodies = list(
        Message.objects.filter(customer=customer).order_by("id").values_list("body", flat=True)
    )
    assert "10,00 € aufgeladen. Neues Guthaben: 10,00 €." in bodies[0]
    assert "50,00 € aufgeladen. Neues Guthaben: 110,00 €." in bodies[-1]
    assert "EUR" not in "".join(bodies)


def test_the_recharge_sms_writes_amounts_as_the_customers_polish(db):
    reseller = ResellerFactory(currency="PLN", country="PL")
    fund(reseller, net="5000.00")
    user = MembershipFactory(reseller=reseller, role="user").user
    phone = "+48501234567"
    customer = CustomerFactory(reseller=reseller, phone=phone, language="pl")
    customer_recharge(reseller=reseller, actor=user, phone=phone, amount="20", idempotency_key="1")
    for key in "23456":
        customer_recharge(
            reseller=reseller, actor=user, phone=phone, amount="200", idempotency_key=key
        )
    bodies = list(
        Message.objects.filter(customer=customer).order_by("id").values_list("body", flat=True)
    )
    assert "doładowano 20,00 zł. Nowe saldo: 20,00 zł." in bodies[0]
    assert "doładowano 200,00 zł. Nowe saldo: 1 020,00 zł." in bodies[-1]


def test_replays_and_refusals_send_no_sms(seller):
    reseller, user = seller
    for _ in range(3):
        customer_recharge(
            reseller=reseller, actor=user, phone=NEW, amount="50", idempotency_key="same"
        )
    customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="50", idempotency_key="2")
    with pytest.raises(RechargeError):
        customer_recharge(reseller=reseller, actor=user, phone=NEW, amount="5", idempotency_key="3")
    assert Message.objects.count() == 2


def test_resend_credentials_sends_the_new_password(seller):
    reseller, user = seller
    customer = CustomerUserFactory(reseller=reseller, language="en")
    customer_credentials_reset(reseller=reseller, actor=user, customer_id=customer.pk)
    message = Message.objects.get(customer=customer)
    password = re.search(r"Password: (\S+)", message.text_to_send()).group(1)
    customer.user.refresh_from_db()
    assert customer.user.check_password(password)


def test_a_luxembourg_number_registers_a_french_speaking_customer_and_gets_french_sms(seller):
    """The customer's language and the SMS's come from one table: they used to disagree
    (customers said en for LU, sms said fr)."""
    reseller, user = seller
    customer_recharge(
        reseller=reseller, actor=user, phone="+352 621 123 456", amount="10", idempotency_key="lu"
    )
    customer = Customer.objects.get(phone="+352621123456")
    message = Message.objects.get(customer=customer)
    assert customer.language == message.language == "fr"
