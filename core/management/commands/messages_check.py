"""`manage.py messages_check`: the portal speaks English, German, French and Polish, completely.

Fails (exit status 1, each problem on its own line) when:
- a string marked for translation in the code or the templates has no entry in a catalogue,
  or its entry is empty or fuzzy (the catalogues are extracted afresh into a scratch copy with
  `makemessages`, so nothing in `locale/` changes);
- a template has user-visible text outside a translation tag: text between tags, or the
  `title`, `alt`, `placeholder`, `aria-label` and `label` attributes, holding a letter;
- an SMS template (`sms/templates/sms/<name>.<language>.txt`) misses one of the languages.

`make lint` runs it. Needs GNU gettext (`xgettext`, `msgmerge`, `msgfmt`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.template.base import Lexer, TokenType
from django.test.utils import override_settings

LANGUAGES = ("de", "fr", "pl")
TEXT_ATTRIBUTES = frozenset({"title", "alt", "placeholder", "aria-label", "label"})
# Words that are the same in every language: the product's name, codes in capitals (EUR,
# IBAN, PDF, CSV).
NEUTRAL_WORDS = re.compile(r"\b(Tessera|[A-Z]{2,5})\b")
# A word: two letters in a row ("A" alone is a sample, not text).
WORD = re.compile(r"[^\W\d_]{2}", re.UNICODE)
# Host names, e-mail addresses and URLs shown as examples are the same in every language.
ADDRESS = re.compile(r"^(https?://)?[\w.+-]+@?[\w-]+(\.[\w-]+)+/?$")
# Blocks whose content is not text for people: the template's own comments, scripts, styles.
SKIPPED_BLOCKS = {"comment": "endcomment", "verbatim": "endverbatim"}
TRANSLATING_BLOCKS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans"}


class _TextFinder(HTMLParser):
    """Collects visible text and text attributes of one template's literal (non-tag) parts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and _visible(value):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and _visible(data):
            self.found.append(data.strip())


def _visible(text: str) -> bool:
    text = " ".join(text.split())
    if ADDRESS.match(text):
        return False
    return bool(WORD.search(NEUTRAL_WORDS.sub("", text)))


def _untranslated_tokens(source: str):
    """The text and variable tokens of a template outside translation tags and comments."""
    closing: str | None = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if closing is not None:
                closing = None if name == closing else closing
            else:
                closing = SKIPPED_BLOCKS.get(name) or TRANSLATING_BLOCKS.get(name)
        elif closing is None and token.token_type in (TokenType.TEXT, TokenType.VAR):
            yield token


def untranslated_template_text(source: str) -> list[str]:
    """The user-visible text of an HTML template that no translation tag covers. Block tags
    are dropped (both branches of an `{% if %}` are read) and variables become a placeholder,
    so `{{ name }}:` is not text but `Hello {{ name }}` is."""
    literal = [
        token.contents if token.token_type == TokenType.TEXT else "\x00"
        for token in _untranslated_tokens(source)
    ]
    finder = _TextFinder()
    finder.feed("".join(literal))
    finder.close()
    return [text.replace("\x00", "…") for text in finder.found]


def untranslated_mail_text(source: str) -> list[str]:
    """The words of a plain-text (e-mail) template outside translation tags."""
    return [
        token.contents.strip()
        for token in _untranslated_tokens(source)
        if token.token_type == TokenType.TEXT and _visible(token.contents)
    ]


def template_problems(roots: list[Path]) -> list[str]:
    problems = []
    for path in sorted(roots[0].rglob("*.txt")):
        for text in untranslated_mail_text(path.read_text(encoding="utf-8")):
            problems.append(f"{path}: text outside a translation tag: {text[:80]!r}")
    for root in roots:
        for path in sorted(root.rglob("*.html")):
            if path.is_relative_to(root / "allauth" / "elements"):
                continue  # allauth's markup for its elements: tag names chosen by {% if %}
            for text in untranslated_template_text(path.read_text(encoding="utf-8")):
                problems.append(f"{path}: text outside a translation tag: {text[:80]!r}")
    return problems


def sms_template_problems(root: Path) -> list[str]:
    problems = []
    names = {path.name.split(".")[0] for path in root.glob("*.txt")}
    for name in sorted(names):
        for language in ("en", *LANGUAGES):
            if not (root / f"{name}.{language}.txt").exists():
                problems.append(f"{root}/{name}.{language}.txt: missing")
    return problems


# What is not a source of translatable strings (and may be large).
_NOT_SOURCES = (
    ".git",
    ".venv",
    "node_modules",
    "static",
    "staticfiles",
    "media",
    "artifacts",
    "*.mo",
    "*.sqlite3",
    "__pycache__",
)


@contextlib.contextmanager
def _working_directory(path: Path):
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def catalogue_problems(base: Path) -> list[str]:
    """Extract every marked string afresh into a copy of locale/ and report entries that are
    missing, empty or fuzzy there."""
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        # makemessages scans the current directory and writes into the `locale` folder there
        # (whatever LOCALE_PATHS says), so it runs in a copy of the sources.
        tree = Path(scratch) / "tree"
        shutil.copytree(base, tree, ignore=shutil.ignore_patterns(*_NOT_SOURCES))
        copy = tree / "locale"
        with override_settings(LOCALE_PATHS=[copy]), _working_directory(tree):
            call_command(
                "makemessages",
                locale=list(LANGUAGES),
                ignore_patterns=["tests", "bench"],
                no_obsolete=True,
                verbosity=0,
            )
        for language in LANGUAGES:
            with open(copy / language / "LC_MESSAGES" / "django.po", "rb") as source:
                fresh = read_po(source, locale=language)
            for message in fresh:
                if not message.id:
                    continue  # the header
                msgid = message.id[0] if isinstance(message.id, tuple) else message.id
                where = message.locations[0][0] if message.locations else "?"
                label = f"{language}: {msgid[:60]!r} ({where})"
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.fuzzy:
                    problems.append(f"{label}: fuzzy")
                elif not all(strings):
                    problems.append(f"{label}: not translated")
    return problems


class Command(BaseCommand):
    help = "Check that the catalogues and templates leave no English text behind."

    def handle(self, *args, **options):
        base = Path(settings.BASE_DIR)
        if shutil.which("xgettext") is None:
            raise CommandError("GNU gettext is needed (apt-get install gettext).")
        problems = [
            *template_problems([base / "templates", *sorted(base.glob("*/templates"))]),
            *sms_template_problems(base / "sms" / "templates" / "sms"),
            *catalogue_problems(base),
        ]
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} untranslated strings or templates (see above).")
        self.stdout.write("Catalogues complete: de, fr, pl.")
