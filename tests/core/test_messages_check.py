"""`manage.py messages_check`: English left in a template, a catalogue or the SMS templates
is found; translated text is not reported."""

import io

import pytest
from django.core.management import call_command

from core.management.commands.messages_check import (
    sms_template_problems,
    untranslated_mail_text,
    untranslated_template_text,
)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<button>Save</button>", ["Save"]),
        ('<a title="Open the cashbook" href="/x">{% translate "Cashbook" %}</a>', None),
        ('<input placeholder="Mobile number">', ['placeholder="Mobile number"']),
        ('<nav aria-label="breadcrumb"></nav>', ['aria-label="breadcrumb"']),
        ("<p>Hello {{ name }}</p>", ["Hello …"]),
        ("<td{% if n %} class='num'{% endif %}>Total</td>", ["Total"]),
    ],
)
def test_english_outside_translation_tags_is_found(source, found):
    result = untranslated_template_text("{% load i18n %}" + source)
    assert result == (found or ['title="Open the cashbook"'])


@pytest.mark.parametrize(
    "source",
    [
        '<button>{% translate "Save" %}</button>',
        "<p>{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}</p>",
        "{% comment %}Notes for developers{% endcomment %}<p>{{ name }}:</p>",
        "<script>const words = 'not text';</script><style>.a{content:'x'}</style>",
        '<input placeholder="portal.example.com"><p>Tessera — 12.50 EUR</p>',
        '<span aria-hidden="true">A</span>',
        "{# a comment #}<td>{{ amount }}</td>",
    ],
)
def test_translated_or_neutral_text_is_not_reported(source):
    assert untranslated_template_text("{% load i18n %}" + source) == []


def test_mail_templates_must_translate_every_sentence():
    source = (
        "{% load i18n %}{% blocktranslate %}Hello,{% endblocktranslate %}\n"
        "Open this link:\n{{ url }}\n{% translate 'Thanks' %}"
    )
    assert untranslated_mail_text(source) == ["Open this link:"]


def test_an_sms_template_missing_a_language_is_reported(tmp_path):
    for language in ("en", "de", "fr"):
        (tmp_path / f"welcome.{language}.txt").write_text("x")
    assert sms_template_problems(tmp_path) == [f"{tmp_path}/welcome.pl.txt: missing"]


@pytest.mark.catalogues
def test_the_portal_leaves_no_english_behind():
    """What `make lint` runs: every marked string translated in de, fr and pl, no fuzzy entry,
    no template text outside a translation tag, every SMS template in every language."""
    out = io.StringIO()
    call_command("messages_check", stdout=out)
    assert "Catalogues complete" in out.getvalue()
