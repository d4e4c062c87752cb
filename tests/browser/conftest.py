"""Browser tests: Playwright (sync API) drives Debian's chromium against `live_server`.

Playwright's own browser download does not work here and is never used: the tests launch the
system chromium at /usr/bin/chromium (CI installs the `chromium` package). Without it every
browser test skips with the reason, or fails where services are required (tests/services.py).

Fixtures:
- `playwright_instance`, `browser`: one per session; every context the browser opens reports
  Content-Security-Policy violations, and `no_csp_violations` (autouse) fails the test; every
  context also runs axe-core on each page it loads (tests/browser/axe.py), and
  `no_axe_violations` (autouse) fails the test at teardown, listing each serious or critical
  violation (and each heading-order / page-has-heading-one) with its page and selector;
- `page`: a fresh context and page per test, desktop viewport;
- `mobile_page`: the same on a 390x844 phone viewport;
- `screenshot(page, name)`: writes <repo>/artifacts/screenshots/<name>.png (git-ignored).

`assert_fits(page)` fails when the page is wider than its viewport (a phone's 390 px), when
any element scrolls sideways inside it, or when a visible element sticks out past its edges.

Shared journey steps (plain functions, import them): `sign_in`, `sign_out`, `staff_sign_in`
(password and the demo TOTP code), `sidebar_link`, `money` (an amount as a page shows it),
`language_choose` (the language menu),
`application_fill` (the /apply/ form) and `invitation_fill` (a new colleague opens the
invitation link and fills in the form).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from config.management.commands.demo_data import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.browser.axe import AxeWatch
from tests.services import require_or_skip

# Playwright's sync API runs an asyncio event loop in this thread (in a greenlet) for as long
# as the Playwright instance lives, so Django sees a "running event loop" and every ORM call in
# the test body (demo data, assertions on rows) would raise SynchronousOnlyOperation. The test
# body is plain synchronous code and the loop never runs Django code, so the check is a false
# alarm here. It is set while Playwright runs (the fixture below) and removed afterwards, so
# the rest of the suite keeps Django's async-safety check.

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "screenshots"

DESKTOP_VIEWPORT = {"width": 1280, "height": 800}
MOBILE_VIEWPORT = {"width": 390, "height": 844}
DEFAULT_TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def _portal_origin(request, settings):
    """Links the portal sends (invitations, the welcome SMS) point at the live server."""
    if "live_server" in request.fixturenames:
        settings.PORTAL_ORIGIN = request.getfixturevalue("live_server").url


@pytest.fixture(scope="module")
def playwright_instance():
    if not CHROMIUM.exists():
        require_or_skip(
            f"browser tests need Debian's chromium at {CHROMIUM} "
            "(apt-get install chromium); Playwright's bundled browsers are not used"
        )
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# --- Content-Security-Policy violations ------------------------------------------------------
# Every context any browser test opens reports what the page's CSP refused (the DOM's
# `securitypolicyviolation` events, and chromium's console messages about the policy) into
# CSP_VIOLATIONS; the autouse fixture below fails the test that caused any.
CSP_VIOLATIONS: list[str] = []

_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__tesseraCspViolation(
    `${e.effectiveDirective} refused ${e.blockedURI || "inline"} on ${e.documentURI}` +
    (e.sample ? ` (${e.sample})` : "")
  );
}, true);
"""


def _watch_csp(context) -> None:
    def report(text: str) -> None:
        CSP_VIOLATIONS.append(text)

    context.expose_function("__tesseraCspViolation", report)
    context.add_init_script(_CSP_LISTENER)

    def on_console(msg) -> None:
        if "Content Security Policy" in msg.text:
            CSP_VIOLATIONS.append(f"console: {msg.text}")

    context.on("console", on_console)


@pytest.fixture(autouse=True)
def no_csp_violations():
    """Fails a browser test during which any page broke its Content-Security-Policy."""
    CSP_VIOLATIONS.clear()
    yield CSP_VIOLATIONS
    found = list(CSP_VIOLATIONS)
    CSP_VIOLATIONS.clear()
    assert not found, "the Content-Security-Policy refused:\n" + "\n".join(found)


# --- axe-core ---------------------------------------------------------------------------------
# One AxeWatch per context opened during the test; the autouse fixture below fails the test
# with what they found (after the page fixtures have closed their contexts).
AXE_WATCHES: list[AxeWatch] = []


def watch_context(context):
    """CSP and axe-core watches on a context the `browser` fixture did not open (a test that
    launches a browser of its own, e.g. with host-resolver rules)."""
    _watch_csp(context)
    AXE_WATCHES.append(AxeWatch().install(context))
    return context


@pytest.fixture(autouse=True)
def no_axe_violations():
    """Fails a browser test on any page of which axe-core found a serious or critical
    violation (or a heading out of order, or no <h1>)."""
    AXE_WATCHES.clear()
    yield AXE_WATCHES
    found = [problem for watch in AXE_WATCHES for problem in watch.problems()]
    AXE_WATCHES.clear()
    assert not found, "axe-core found accessibility violations:\n" + "\n".join(found)


@pytest.fixture(scope="module")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    new_context = browser.new_context

    def watched_context(*args, **kwargs):
        # Without transitions: axe measures colours as they settle, not a button half-way
        # through its hover fade (Bootstrap honours prefers-reduced-motion).
        kwargs.setdefault("reduced_motion", "reduce")
        return watch_context(new_context(*args, **kwargs))

    browser.new_context = watched_context  # every context of every journey is watched
    yield browser
    browser.close()


def _new_page(browser, **context_options):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Berlin", **context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    # Anything the browser reports as broken (JS errors, failed requests for pages or static
    # files) is collected in `page.problems`, so tests can assert there is none.
    problems: list[str] = []

    def on_console(msg) -> None:
        # "Failed to load resource" repeats a failed response, which on_response reports with
        # its URL.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(f"console: {msg.text}")

    def on_response(resp) -> None:
        if resp.status >= 400:
            problems.append(f"HTTP {resp.status}: {resp.url}")

    page.problems = problems
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", on_console)
    page.on("response", on_response)
    return context, page


@pytest.fixture
def page(browser) -> Iterator:
    context, page = _new_page(browser, viewport=DESKTOP_VIEWPORT)
    yield page
    context.close()


@pytest.fixture
def mobile_page(browser) -> Iterator:
    context, page = _new_page(
        browser, viewport=MOBILE_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    yield page
    context.close()


def take_screenshot(page, name: str) -> Path:
    """Full-page PNG at artifacts/screenshots/<name>.png; returns the path."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise ValueError(f"screenshot name must be a plain file name, not {name!r}")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    # From the top: scrolled down, the sticky navbar would be drawn across the middle.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot() -> Callable:
    """`screenshot(page, name)` -> Path of the written PNG."""
    return take_screenshot


# --- Phones: nothing wider than the screen ----------------------------------------------------

_OVERFLOW_PROBE = """
() => {
  const width = window.innerWidth;
  const name = (el) => {
    const id = el.id ? "#" + el.id : "";
    const testid = el.dataset && el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : "";
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const text = (el.innerText || el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return `<${el.tagName.toLowerCase()}${id}${testid}${cls}> "${text}"`;
  };
  // Inside a visually hidden box (clipped to 1 px, like Bootstrap's .visually-hidden) nothing
  // shows, however wide it is laid out.
  const clipped = (el) => {
    for (let box = el; box; box = box.parentElement) {
      const rect = box.getBoundingClientRect();
      if ((rect.width <= 1 || rect.height <= 1) && getComputedStyle(box).overflow !== "visible") {
        return true;
      }
    }
    return false;
  };
  const found = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) found.push(`the page is ${page}px wide on a ${width}px screen`);
  for (const el of document.body.querySelectorAll("*")) {
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    const style = getComputedStyle(el);
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1) {
      found.push(`${name(el)} scrolls sideways: ${el.scrollWidth}px in ${el.clientWidth}px`);
      continue;
    }
    const box = el.getBoundingClientRect();
    if (box.width && box.height && (box.right > width + 1 || box.left < -1)) {
      if (clipped(el)) continue;
      found.push(`${name(el)} spans ${Math.round(box.left)}..${Math.round(box.right)}px`);
    }
  }
  return found;
}
"""


def assert_fits(page) -> None:
    """The page fits its viewport: no sideways scrolling of the page or of any element in it
    (scrollWidth > clientWidth with overflow-x auto/scroll), and no visible element reaching
    past the left or right edge (cut off, or only reachable by scrolling)."""
    found = page.evaluate(_OVERFLOW_PROBE)
    assert not found, f"{page.url} does not fit {page.viewport_size['width']}px:\n" + "\n".join(
        found[:15]
    )


# --- Shared journey steps ---------------------------------------------------------------------

OPERATOR_EMAIL = "operator@tessera.test"  # demo data: operator staff with TOTP enrolled


def sign_in(page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Fill the sign-in form and submit it (where the browser lands is the caller's check)."""
    page.goto(base + "/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name="Sign In").click()


def sign_out(page, base: str) -> None:
    """Sign out through the confirmation page (the user menu is folded away on a phone)."""
    page.goto(base + "/accounts/logout/")
    page.get_by_role("button", name=re.compile("Sign Out")).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def money(text: str) -> Decimal:
    """The amount in a page's English text: "€1,234.50", "-€10.00", "PLN 5.00", "1,234.50"
    (commas group thousands; the currency's symbol or code before the digits)."""
    found = re.search(r"(-?)\D*?([0-9][0-9,]*(?:\.[0-9]+)?)", text)
    if found is None:
        raise ValueError(f"no amount in {text!r}")
    return Decimal(found.group(1) + found.group(2).replace(",", ""))


def language_choose(page, code: str) -> None:
    """Choose a language in the menu, as a person does: signed in, it is in the user menu."""
    menu = page.get_by_test_id("user-menu")
    if menu.count():
        menu.click()
    page.locator('select[name="language"]:visible').select_option(code)
    expect(page.locator("html")).to_have_attribute("lang", code)


def totp_code(secret: str = DEMO_TOTP_SECRET) -> str:
    """The current TOTP code of an authenticator (by default the demo staff's). A code with
    less than 5 s of its 30 s window left is not given out: the next one is waited for, so
    the code is still valid when the form arrives (allauth accepts the current window only)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def staff_sign_in(page, base: str, email: str = OPERATOR_EMAIL) -> None:
    """Operator staff sign in with password and TOTP code and land on the staff overview.
    allauth accepts each code once: sign a staff member in once per 30 s."""
    sign_in(page, base, email)
    page.locator('input[name="code"]').fill(totp_code())
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def sidebar_link(page, label: str):
    """The sidebar link whose text is exactly `label`. By text, not by role name: the icon
    glyph ends up in the link's accessible name."""
    return page.locator("#sidebar a.nav-link", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


APPLICATION = {
    "legal_name": "Ostsee Connect GmbH",
    "country": "DE",
    "address_line": "Strandweg 1",
    "postal_code": "18055",
    "city": "Rostock",
    "vat_id": "DE 136 695 976",
    "phone": "0381 1234567",
    "email": "lea@ostsee.test",
    "website": "ostsee.test",
    "contact_person": "Lea Lange",
    "password": "ostsee-passphrase-2026",
}


def application_fill(page, **changes) -> dict:
    """Fill the /apply/ form (APPLICATION with `changes`) and accept the terms; the caller
    submits. Returns the values used."""
    values = {**APPLICATION, **changes}
    form = page.get_by_test_id("apply-form")
    for name in ("legal_name", "address_line", "postal_code", "city", "vat_id", "phone"):
        form.locator(f'input[name="{name}"]').fill(values[name])
    form.locator('select[name="country"]').select_option(values["country"])
    for name in ("email", "website", "contact_person"):
        form.locator(f'input[name="{name}"]').fill(values[name])
    form.locator('input[name="password1"]').fill(values["password"])
    form.locator('input[name="password2"]').fill(values["password"])
    form.locator('input[name="accept_terms"]').check()
    return values


def invitation_fill(page, link: str, *, first_name: str, last_name: str, password: str) -> None:
    """Open an invitation link and fill in name and password; the caller submits."""
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Join ")
    page.locator('input[name="first_name"]').fill(first_name)
    page.locator('input[name="last_name"]').fill(last_name)
    page.locator('input[name="password1"]').fill(password)
    page.locator('input[name="password2"]').fill(password)
