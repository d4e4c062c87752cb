"""Reading a page's HTML as a person reads it, for the language checks (tests/l10n_text.py,
tests/l10n_numbers.py): `PageReader` walks the HTML and calls `element`, `element_end` and
`text` only for what a person reads, leaving out the elements a subclass names in `skipped`
(scripts, styles…) and any element marked as written in another language than the page's
(`lang="en"` on an English customer's SMS shown on a German page is data, not the page's text).
"""

from __future__ import annotations

from html.parser import HTMLParser

# Elements that never have an end tag.
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)  # fmt: skip


class PageReader(HTMLParser):
    skipped: frozenset[str] = frozenset({"script", "style", "template"})

    def __init__(self, language: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.language = (language or "").split("-")[0].lower() or None
        self._open: list[tuple[str, bool]] = []  # (tag, whether its content is left out)

    @property
    def skipping(self) -> bool:
        return any(left_out for _tag, left_out in self._open)

    def _foreign(self, attrs: dict) -> bool:
        lang = (attrs.get("lang") or "").split("-")[0].lower()
        return bool(self.language and lang and lang != self.language)

    # --- what subclasses read -------------------------------------------------------------
    def element(self, tag: str, attrs: dict) -> None:
        """An element a person sees starts (its attributes)."""

    def element_end(self, tag: str) -> None:
        """An element ends."""

    def text(self, data: str) -> None:
        """Text a person reads."""

    # --- HTMLParser -----------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in VOID:
            self.handle_startendtag(tag, attrs.items())
            return
        visible = not self.skipping and not self._foreign(attrs)
        self._open.append((tag, tag in self.skipped or not visible))
        if visible:
            self.element(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        if not self.skipping:
            self.element(tag, dict(attrs))

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break
        self.element_end(tag)

    def handle_data(self, data):
        if not self.skipping:
            self.text(data)
