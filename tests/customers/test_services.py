import pytest

from customers.services import InvalidPhoneNumber, customer_create, phone_normalise
from resellers.models import AuditEvent
from tests.factories import ResellerFactory


@pytest.mark.parametrize(
    "raw", ["491791234567", "+49 179 1234567", "0049 179 1234567", " +49-179-123 4567 "]
)
def test_the_faq_formats_of_a_number_normalise_to_e164(raw):
    assert phone_normalise(raw) == "+491791234567"


@pytest.mark.parametrize("raw", ["", "abc", "+49 12", "0049", "+999 123456789"])
def test_bad_numbers_are_refused(raw):
    with pytest.raises(InvalidPhoneNumber):
        phone_normalise(raw)


@pytest.mark.django_db
def test_customer_create_stores_e164_and_audits():
    reseller = ResellerFactory()
    customer = customer_create(actor=None, reseller=reseller, phone="0049 179 1234567")
    assert customer.phone == "+491791234567"
    assert AuditEvent.objects.filter(action="customer.created", reseller=reseller).count() == 1
