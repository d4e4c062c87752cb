"""The English detector of the language walk (tests/l10n_text.py) finds what it must."""

import pytest

from tests.l10n_text import english_left, english_left_in_text

pytestmark = pytest.mark.catalogues


def test_a_translated_page_passes():
    page = """<html><head><title>Kunden</title><script>var x = "Save and next";</script></head>
    <body><h1>Kunden</h1><p>Angemeldet als <b>Will Page</b>.</p>
    <a href="/customers/?status=active" class="btn">Weiter</a>
    <td>+49 151 12345678</td><td>1.234,50 €</td><td>2026-11-28</td><td>anna@shop.test</td>
    <input type="text" name="q" value="Search me" placeholder="Suchen"></body></html>"""
    assert english_left(page, "de", data=("Will Page",)) == []


@pytest.mark.parametrize(
    "html, expected",
    [
        ("<h1>Customers</h1>", "Customers"),  # (a) our msgid, shown untranslated
        ("<p>An invitation is on its way to <b>anna@shop.test</b>.</p>", "invitation"),  # (a)
        ('<button title="Dashboard">x</button>', "Dashboard"),  # a title attribute
        ('<form data-confirm="Post a reversing transaction?"></form>', "reversing"),
        ('<ul class="pagination"><li><a>next</a></li></ul>', "next"),  # (b) django-tables2
        ("<p>This field is required.</p>", "This field is required."),  # (b) Django
        ("<option>Any</option>", "Any"),  # (b/c) the filters' empty choice
        ("<p>Nothing to see here yet</p>", "Nothing to see here yet"),  # (c) words
        ("<span>Last check 2026-11-28: found nothing.</span>", "found nothing"),
        ("<span>Last check 2026-11-28 04:47: no address found.</span>", "no address found"),
    ],
)
def test_english_is_found(html, expected):
    left = english_left(f"<html><body>{html}</body></html>", "de")
    assert left, html
    if expected:
        assert any(expected in text for text in left), left


def test_german_words_that_look_english_are_not_english():
    # "Filter" and "Status" are German words; "Page" is French, "Portal" Polish.
    assert english_left("<p>Filter</p><p>Status</p>", "de") == []
    assert english_left("<p>Page</p>", "fr") == []


def test_a_plain_text_mail_is_read_line_by_line():
    mail = "Hallo Anna,\nYour password was changed.\nViele Grüße"
    left = english_left_in_text(mail, "de")
    assert len(left) == 1 and left[0].startswith("'Your password was changed.'"), left
