"""Customer selectors: the look-up by phone number every recharge starts with."""

from customers.selectors import customer_by_phone
from tests.factories import CustomerFactory, ResellerFactory


def test_customer_by_phone_finds_any_resellers_customer(db):
    seller, owner = ResellerFactory(), ResellerFactory()
    customer = CustomerFactory(reseller=owner, phone="+491791234567")
    assert customer_by_phone(phone="+491791234567") == customer
    assert customer_by_phone(phone="+491791234567", reseller=seller) == customer
    assert customer_by_phone(phone="+491797654321", reseller=seller) is None


def test_the_sellers_own_customer_comes_with_the_seller_and_no_second_query(
    db, django_assert_num_queries
):
    seller = ResellerFactory(name="The seller")
    CustomerFactory(reseller=seller, phone="+491791234567")
    with django_assert_num_queries(1):
        customer = customer_by_phone(phone="+491791234567", reseller=seller)
        assert customer.reseller is seller


def test_another_resellers_customer_comes_with_its_owner(db):
    seller, owner = ResellerFactory(), ResellerFactory(name="The owner")
    CustomerFactory(reseller=owner, phone="+491791234567")
    customer = customer_by_phone(phone="+491791234567", reseller=seller)
    assert customer.reseller == owner
    assert customer.reseller.name == "The owner"
