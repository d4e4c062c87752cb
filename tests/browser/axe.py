"""axe-core on every page a browser journey visits.

`AxeWatch.install(context)` adds the vendored axe-core (tests/browser/vendor) to every page of
a browser context as an init script: after each page load, and after each htmx swap, axe checks
the document and reports its serious and critical violations to the test through a binding.
Besides those, two rules axe rates moderate are always reported, because headings are how a
screen-reader user finds their way: `heading-order` (no level skipped) and
`page-has-heading-one`. The `page` fixtures fail the test at teardown when any page had one
(`AxeWatch.problems`); `AxeWatch.wait(page)` waits until the page just opened is checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
REPORTED_IMPACTS = ("serious", "critical")
ALWAYS_REPORTED = ("heading-order", "page-has-heading-one")

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# Runs in the page (after axe.min.js). Debounced: a burst of htmx swaps is checked once.
_RUNNER = (
    f"const TAGS = {json.dumps(TAGS)}; const IMPACTS = {json.dumps(list(REPORTED_IMPACTS))};"
    f"const ALWAYS = {json.dumps(list(ALWAYS_REPORTED))};"
    + """
(() => {
  if (window.top !== window) return;
  let timer = null;
  const check = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const result = await window.axe.run(document, {
          resultTypes: ["violations"],
          runOnly: {type: "tag", values: TAGS},
        });
        // A colour sample (the branding preview, marked data-contrast-sample) shows the
        // colours being chosen, poor ones included (the form refuses those, with the ratio):
        // its contrast is the person's choice under review, not the page's.
        const sampled = (node) => {
          const element = document.querySelector(node.target.join(" "));
          return element !== null && element.closest("[data-contrast-sample]") !== null;
        };
        for (const v of result.violations) {
          if (v.id === "color-contrast") v.nodes = v.nodes.filter((n) => !sampled(n));
        }
        const found = result.violations
          .filter((v) => v.nodes.length > 0)
          .filter((v) => IMPACTS.includes(v.impact) || ALWAYS.includes(v.id))
          .map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
          }));
        await window.__axeReport(location.pathname + location.search, found);
      } catch (error) {
        await window.__axeReport(location.pathname, [{id: "axe-error", impact: "critical",
          help: String(error), nodes: []}]);
      }
    }, 150);
  };
  window.addEventListener("load", check);
  document.addEventListener("htmx:afterSettle", check);
})();
"""
)


@dataclass
class AxeWatch:
    """What axe found on the pages of one browser context."""

    checked: list[str] = field(default_factory=list)
    found: dict[str, list[dict]] = field(default_factory=dict)

    def install(self, context) -> AxeWatch:
        context.expose_function("__axeReport", self._report)
        context.add_init_script(path=str(AXE))
        context.add_init_script(script=_RUNNER)
        context.axe = self
        return self

    def wait(self, page, *, since: int, timeout_ms: int = 15_000) -> None:
        """Wait until axe has reported on a page loaded after `since` reports (take
        `len(watch.checked)` before opening the page)."""
        waited = 0
        while len(self.checked) <= since:
            if waited >= timeout_ms:
                raise AssertionError(f"axe-core did not check {page.url} within {timeout_ms} ms")
            page.wait_for_timeout(50)
            waited += 50

    def _report(self, url: str, violations: list[dict]) -> None:
        self.checked.append(url)
        if violations:
            self.found[url] = violations

    def problems(self) -> list[str]:
        return [
            f"{url}: {v['impact']} {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
            for url, violations in self.found.items()
            for v in violations
        ]
