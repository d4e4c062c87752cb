"""English left on a page that should be German, French or Polish.

`english_left(html, language)` lists the visible texts of a page (text between tags, the
`title`/`alt`/`placeholder`/`aria-label`/`label` attributes, a button's `value`, the
`data-confirm` question) that are English:

(a) a text that is an English msgid of our catalogue (placeholders match anything) whose
    translation into `language` differs: it was shown without being translated;
(b) the same for the third-party catalogues our pages render (Django, allauth,
    django-tables2, django-filter, django-countries);
(c) a text made of common English words (a stop-list of UI words that are not words of
    `language` as well), as a string built without gettext is.

Data is skipped before the checks: e-mail addresses, phone numbers, amounts, dates, ids,
host names and URLs, the product's name, and whatever the caller names in `data` (people's
and resellers' names of the test world).
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings

from tests.page_reading import PageReader

TEXT_ATTRIBUTES = frozenset({"title", "alt", "placeholder", "aria-label", "label", "data-confirm"})
SKIPPED = frozenset({"script", "style", "template"})
# Inline elements do not end a sentence: "Signed in as <b>x</b>." is one text.
INLINE = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "code",
        "em",
        "i",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
        "wbr",
        "br",
    }
)
THIRD_PARTY = ("django", "allauth", "django_tables2", "django_filters", "django_countries")
PRODUCT = "Tessera"

# Data, removed before the checks (order matters: addresses before numbers).
DATA = [
    re.compile(r"https?://\S+"),
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),
    re.compile(r"\b[\w-]+(\.[\w-]+)*\.(test|com|org|net|eu|de|fr|pl|local|example)\b"),
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
    re.compile(r"\+?\d[\d\s./:,-]*\d|\d"),
    re.compile(r"[€$£]|\bzł\b|\b[A-Z]{2,5}\b"),
    re.compile(PRODUCT),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\w*\}")

# Common English words of a user interface (rule c). A word that is also a word of the page's
# language (it occurs in that language's catalogues: "Filter" in German, "Page" in French) is
# not counted as English there.
ENGLISH = frozenset(
    """
    a about account accounts action actions active add added all already an and any are as at
    back be been before below by can cancel change changed check choose clear close code
    confirm continue create created credit current date day days delete details did do does
    done download edit email enter error export failed fee file filter find first for forgot
    found from full go has have help here hide home if in is it its last later latest leave
    list log login logout manage may me menu more must my name new next no none not nothing
    now of off on one only open or other our out page password pending phone please previous
    print profile read received reject rejected remove request required reset retry save
    search see select send sent set settings show sign since some start status step submit
    success suspend than that the then there these this those to today total try type unknown
    up update upload use user users view was we were what when where which will with without
    yes yet you your
    """.split()  # noqa: SIM905 - a paragraph of words reads better than a list
)
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)


@dataclass(frozen=True)
class _Catalogue:
    exact: dict[str, str]  # English text → where it comes from
    patterns: list[tuple[str, re.Pattern, str]]  # (a literal part, the msgid's regex, origin)
    vocabulary: frozenset[str]  # lowercased words of our translations into the language
    translations: frozenset[str]  # the language's translations: text that is not English


def _pattern(msgid: str) -> tuple[str, re.Pattern]:
    parts = PLACEHOLDER.split(msgid)
    literals = parts[::2]  # split() keeps the group (the name) between literals
    regex = ".+?".join(re.escape(" ".join(p.split())) for p in literals)
    longest = max((" ".join(p.split()) for p in literals), key=len)
    return longest, re.compile(regex, re.DOTALL)


def _add(catalogue, vocabulary, msgid: str, translation: str, origin: str) -> None:
    if vocabulary is not None:
        words = re.sub(r"<[^>]*>", " ", PLACEHOLDER.sub(" ", translation))
        for word in WORD.findall(words):
            vocabulary.add(word.lower())
    catalogue.translations.add(" ".join(translation.split()))
    msgid = " ".join(msgid.split())
    if not translation or " ".join(translation.split()) == msgid or not WORD.search(msgid):
        return  # the same in both languages (or no words): showing it is not a mistake
    if PLACEHOLDER.search(msgid):
        literal, regex = _pattern(msgid)
        if len(WORD.findall(PLACEHOLDER.sub("", msgid))) >= 2:  # "%(n)s of" is too vague
            catalogue.patterns.append((literal, regex, origin))
    else:
        catalogue.exact.setdefault(msgid, origin)


def _mo_files(language: str):
    for name in THIRD_PARTY:
        base = Path(import_module(name).__file__).parent
        yield from (base.glob(f"locale/{language}/LC_MESSAGES/django.mo"))
        if name == "django":
            yield from (base / "conf").glob(f"locale/{language}/LC_MESSAGES/django.mo")
            yield from (base / "contrib").glob(f"*/locale/{language}/LC_MESSAGES/django.mo")


@cache
def catalogue(language: str) -> _Catalogue:
    found = _Catalogue(exact={}, patterns=[], vocabulary=frozenset(), translations=set())
    vocabulary: set[str] = set()
    for path in _mo_files(language):
        with open(path, "rb") as source:
            table = gettext.GNUTranslations(source)._catalog
        origin = str(path).split("site-packages/")[-1]
        for key, translation in table.items():
            if isinstance(key, tuple):  # a plural form: (msgid, n) — the msgid is enough
                key = key[0]
            # Their words do not count as the language's: those catalogues quote English
            # ("Last", "found") in their translations.
            _add(found, None, key.split("\x04")[-1], translation, origin)
    ours = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    with open(ours, "rb") as source:
        for message in read_po(source, locale=language):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for msgid in ids:
                for string in strings:
                    _add(found, vocabulary, msgid, string, "our catalogue")
    return _Catalogue(
        exact=found.exact,
        patterns=found.patterns,
        vocabulary=frozenset(vocabulary),
        translations=frozenset(found.translations),
    )


class _Texts(PageReader):
    """The visible texts of a page: runs of text up to the next block element, each text node
    on its own as well, and the text attributes."""

    skipped = SKIPPED

    def __init__(self, language: str | None = None) -> None:
        super().__init__(language)
        self.texts: list[str] = []
        self._run: list[str] = []

    def _end_run(self) -> None:
        run = " ".join(" ".join(self._run).split())
        if run:
            self.texts.append(run)
        self._run = []

    def element(self, tag, attrs):
        if tag not in INLINE:
            self._end_run()
        for name in TEXT_ATTRIBUTES:
            if attrs.get(name):
                self.texts.append(" ".join(attrs[name].split()))
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def element_end(self, tag):
        if tag not in INLINE:
            self._end_run()

    def text(self, data):
        node = " ".join(data.split())
        if node:
            self.texts.append(node)
            self._run.append(node)

    def close(self):
        super().close()
        self._end_run()


def _without_data(text: str, data: tuple[str, ...]) -> str:
    for item in data:
        if item:
            text = text.replace(item, " ")
    for pattern in DATA:
        text = pattern.sub(" ", text)
    return " ".join(text.split())


def _english_words(text: str, language: str) -> bool:
    """Rule (c): the words are all common English UI words, at least one of them no word of
    `language`; or, in a longer text, most of them are English-only."""
    words = [w.lower() for w in WORD.findall(text) if len(w) > 1]
    if not words:
        return False
    vocabulary = catalogue(language).vocabulary
    english_only = [w for w in words if w in ENGLISH and w not in vocabulary]
    if not english_only:
        return False
    if all(w in ENGLISH for w in words):
        return True
    return len(words) >= 4 and len(english_only) * 2 > len(words)


def _why(text: str, clean: str, language: str) -> str | None:
    found = catalogue(language)
    if text in found.translations:
        return None  # "Filter" is German too
    for candidate in (text, clean):
        origin = found.exact.get(candidate)
        if origin:
            return f"untranslated ({origin})"
    for literal, regex, origin in found.patterns:
        if literal in text and regex.fullmatch(text):
            return f"untranslated ({origin})"
    if _english_words(clean, language):
        return "English words"
    return None


def english_left(html: str, language: str, *, data: tuple[str, ...] = ()) -> list[str]:
    """Every visible text of `html` that is English though the page is in `language`."""
    parser = _Texts(language)
    parser.feed(html)
    parser.close()
    left = []
    for text in dict.fromkeys(parser.texts):
        for item in data:
            if item and text == item:
                break
        else:
            clean = _without_data(text, data)
            if not clean:
                continue
            why = _why(text, clean, language)
            if why:
                left.append(f"{text!r}: {why}")
    return left


def english_left_in_text(text: str, language: str, *, data: tuple[str, ...] = ()) -> list[str]:
    """The same for a plain-text mail or SMS: each line, and each sentence, is a text."""
    from django.utils.html import escape

    pieces = []
    for line in text.splitlines():
        pieces.append(line)
        pieces += [s for s in re.split(r"(?<=[.!?])\s+", line) if s != line]
    return english_left("".join(f"<p>{escape(p)}</p>" for p in pieces), language, data=data)
