"""The VAT ID field's own example, and the operator's default VAT ID, pass the check they ask
for (issue 11, point 8)."""

import re

from django.conf import settings

from resellers.forms import ApplicationForm
from tax.identifiers import vat_id_clean


def test_the_vat_id_fields_example_is_a_valid_vat_id():
    help_text = str(ApplicationForm().fields["vat_id"].help_text)
    examples = re.findall(r"\b[A-Z]{2}\d{9}\b", help_text)
    assert examples, help_text
    for example in examples:
        assert vat_id_clean(example, country=example[:2]) == example


def test_the_operators_default_vat_id_is_valid():
    vat_id = settings.OPERATOR["vat_id"]
    assert vat_id_clean(vat_id, country=vat_id[:2]) == vat_id
