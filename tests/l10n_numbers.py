"""The issue's "no mixed number format" check, for any test that has a page's HTML.

`mixed_number_formats(html, language)` lists the numbers a person reads on the page that are
written the other way than the page's language writes them: "12.50" or "1,234.50" on a
German, French or Polish page; "595,00" on an English one. Only what is read counts: the text
of the page and the `title`, `aria-label` and `alt` texts, not scripts, styles, form values or
other attributes. Numbers that are data and not prose are left alone: ISO dates and times
("2026-11-01 14:05"), phone numbers ("+49 179 1234567"), ids ("#12"), versions ("v1.2"),
addresses ("127.0.0.1") and anything glued to letters (VAT IDs, host names).
"""

from __future__ import annotations

import re

from tests.page_reading import PageReader

# Elements whose text nobody reads as page text.
# Preformatted data (an audit event's raw data) is not prose either.
_SKIPPED = frozenset({"script", "style", "template", "textarea", "noscript", "pre", "code"})
_READ_ATTRIBUTES = ("title", "aria-label", "alt")

# Data that looks like a number but is not one: removed before numbers are looked at.
_DATA = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"  # ISO date (and time)
    r"|\b\d{1,3}(?:\.\d{1,3}){3}\b"  # IPv4 address
    r"|\+\d[\d\s\u00a0()/-]{5,}\d"  # phone number
    r"|#\d+"  # id
    r"|\b[vV]\d+(?:\.\d+)+"  # version
    r"|\d{1,2}:\d{2}(?::\d{2})?"  # time
)
# A number with separators: digits, then groups of digits after "." or ",". Not glued to a
# letter or to another separator (a host name, a VAT ID, a sentence's full stop is outside).
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)+(?![\w])")
# The spaces babel and Django group thousands with in fr and pl.
_SPACES = "\u00a0\u202f "


class _VisibleText(PageReader):
    """The read texts: each text node, and the read attributes."""

    skipped = _SKIPPED

    def __init__(self, language: str | None = None):
        super().__init__(language)
        self.parts: list[str] = []

    def element(self, tag, attrs):
        self.parts += [attrs[name] for name in _READ_ATTRIBUTES if attrs.get(name)]

    def text(self, data):
        self.parts.append(data)


def visible_texts(html: str, language: str | None = None) -> list[str]:
    """The texts of a page a person reads, one per text node or read attribute (with
    `language`, without what is marked as written in another)."""
    parser = _VisibleText(language)
    parser.feed(html)
    parser.close()
    return [text for text in parser.parts if text.strip()]


def _english_style(number: str) -> bool:
    """1,234.50 · 12.50 · 50.0000: a point that is a decimal sign."""
    if "." not in number:
        return False
    if "," in number:
        return number.rindex(".") > number.rindex(",")  # 1,234.50 (1.234,50 is German)
    return True


def _continental_style(number: str) -> bool:
    """595,00 · 1.234,50: a comma that is a decimal sign (not 1,234 grouping thousands)."""
    if "," not in number:
        return False
    if "." in number:
        return number.rindex(",") > number.rindex(".")
    return any(len(group) != 3 for group in number.split(",")[1:])


def _german_grouping(number: str) -> bool:
    """1.234 or 1.234.567: German groups thousands with points."""
    return "," not in number and all(len(group) == 3 for group in number.split(".")[1:])


def mixed_number_formats(html: str, language: str) -> list[str]:
    """The read texts of the page holding a number written otherwise than `language` writes
    numbers, each with the offending number first: ["12.50 in 'Balance: 12.50 EUR'"]."""
    language = language.split("-")[0].lower()
    found = []
    for text in visible_texts(html, language):
        clean = _DATA.sub(" ", text)
        for match in _NUMBER.finditer(clean):
            number = match.group()
            if language == "en":
                wrong = _continental_style(number)
            elif language == "de":
                wrong = _english_style(number) and not _german_grouping(number)
            else:  # fr, pl group with spaces: a point in a number is never theirs
                wrong = "." in number or number.count(",") > 1
            if wrong:
                start = max(match.start() - 40, 0)
                found.append(f"{number} in {' '.join(clean[start : match.end() + 20].split())!r}")
    return found
