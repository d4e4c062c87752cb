"""What the tax checks say is a whole sentence in the reader's language (issue 12): one
sentence per problem, the country by its name, the number of VIES attempts with its plural."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tax.identifiers import tax_id_clean, vat_id_clean
from tax.models import VatCheck
from tax.status import vies_status
from tests.l10n_text import english_left_in_text

pytestmark = pytest.mark.catalogues

LANGUAGES = ("de", "fr", "pl")
SECOND_SENTENCE = re.compile(r"[.!?]\s+[A-ZÀ-ÝĄĆĘŁŃÓŚŹŻ]")
POLAND = {"de": "Polen", "fr": "Pologne", "pl": "Polska"}
GERMANY = {"de": "Deutschland", "fr": "Allemagne", "pl": "Niemcy"}


def _message(clean, raw: str, country: str) -> str:
    with pytest.raises(ValidationError) as caught:
        clean(raw, country=country)
    return " ".join(caught.value.messages)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "clean, raw, country, named",
    [
        (vat_id_clean, "DE136695977", "DE", None),  # check digit
        (vat_id_clean, "DE13669597", "DE", None),  # length
        (vat_id_clean, "DE13669597X", "DE", None),  # format
        (vat_id_clean, "PL5260250995", "DE", GERMANY),  # another country's prefix
        (tax_id_clean, "5260250994", "PL", POLAND),
        (tax_id_clean, "52602509", "PL", POLAND),
        (tax_id_clean, "52602509AB", "PL", POLAND),
    ],
)
def test_an_identifier_error_is_one_sentence_in_the_language(clean, raw, country, named, language):
    with translation.override(language):
        message = _message(clean, raw, country)
    assert english_left_in_text(message, language) == [], message
    # One sentence: no second one starts after a full stop ("USt-IdNr. eines" is one).
    assert message.endswith("."), message
    assert not SECOND_SENTENCE.search(message), message
    if named:
        assert named[language] in message, message


def test_the_country_is_named_not_coded():
    with translation.override("de"):
        assert "Polen" in _message(tax_id_clean, "5260250994", "PL")
        assert "Deutschland" in _message(vat_id_clean, "PL5260250995", "DE")


@pytest.mark.django_db
@pytest.mark.parametrize("attempts, english", [(1, "1 attempt)"), (3, "3 attempts)")])
def test_vies_attempts_are_counted_with_their_plural(attempts, english):
    check = VatCheck(
        vat_id="DE136695976", status=VatCheck.Status.UNAVAILABLE, error="X", attempts=attempts
    )
    assert english in vies_status(check=check, vat_id="DE136695976", country="DE").note
    with translation.override("pl"):
        note = vies_status(check=check, vat_id="DE136695976", country="DE").note
    assert {1: "1 próba)", 3: "3 próby)"}[attempts] in note, note
