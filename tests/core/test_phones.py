"""One phone-number module: parsing, and ONE table from a number's country to a language."""

import pytest

from core.phones import LANGUAGE_BY_REGION, InvalidPhoneNumber, language_for_phone, phone_normalise


@pytest.mark.parametrize(
    ("number", "language"),
    [
        ("+491791234567", "de"),
        ("+436641234567", "de"),
        ("+41791234567", "de"),
        ("+33612345678", "fr"),
        ("+32470123456", "fr"),
        ("+352621123456", "fr"),  # Luxembourg: the two tables used to disagree here
        ("+37761123456", "fr"),  # Monaco
        ("+48512345678", "pl"),
        ("+447911123456", "en"),
        ("not a number", "en"),
    ],
)
def test_the_language_of_a_numbers_country(number, language):
    assert language_for_phone(number) == language


def test_every_language_of_the_table_is_one_the_portal_speaks():
    from django.conf import settings

    spoken = {code for code, _name in settings.LANGUAGES}
    assert set(LANGUAGE_BY_REGION.values()) <= spoken


def test_a_bad_number_is_a_domain_error_on_the_phone_field():
    with pytest.raises(InvalidPhoneNumber) as caught:
        phone_normalise("+49 30 1234567")  # a Berlin landline
    assert caught.value.code == "invalid-phone"
    assert caught.value.field == "phone"
    assert str(caught.value) == "This is not a mobile number: SMS cannot reach it."
