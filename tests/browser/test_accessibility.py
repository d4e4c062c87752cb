"""axe-core on every page as every role (issue 12, point 4).

For each role of the role matrix (tests/tenancy/test_role_matrix.py) the browser opens every
GET page of ours that the role may open, with the objects of tests/tenancy/registry.py for the
pages that name one, plus the allauth pages that role sees (sign-in, password, e-mail,
two-factor). The browser fixtures run axe-core on each page (tests/browser/axe.py) and fail
the test on any serious or critical violation, a heading out of order, or a page without <h1>.
Once more in German, so translated labels are checked too, and once on a reseller's own host
in its branded theme (also with colours saved before contrast was enforced). Every page also at
390 px in German: it must fit the phone's screen (issue 12, point 5).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from resellers.models import Branding, ResellerHostname
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEFAULT_TIMEOUT_MS,
    DESKTOP_VIEWPORT,
    MOBILE_VIEWPORT,
    assert_fits,
    take_screenshot,
    watch_context,
)
from tests.tenancy.test_form_fields import forms_open, get_pages
from tests.tenancy.test_role_matrix import FRAGMENTS
from tests.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROLES = ("anonymous", "customer", "user", "accountant", "admin", "staff")


def pages_for(world, role: str) -> list[str]:
    """Every GET page of ours `role` may open and allauth's pages it sees (as in the form
    check), and the sign-out confirmation for whoever is signed in; not the pieces htmx
    puts into a page (the page they go into is checked)."""
    fragments = {reverse(name) for name in FRAGMENTS}
    urls = [url for url in get_pages(world, role) if url not in fragments]
    return urls if role == "anonymous" else [*urls, reverse("account_logout")]


def _sign_in(context, base: str, user) -> None:
    """The browser gets the session of a client signed in as `user` (operator staff with MFA
    count as having passed it, as in the role matrix)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def _person(world, role: str):
    return world.staff if role == "staff" else world.a.person(role)


def _walk(context, base: str, urls: list[str]) -> list[str]:
    """Open each page, wait for axe to check it; return the pages that did not answer."""
    page = context.new_page()
    watch = context.axe
    broken = []
    for url in urls:
        since = len(watch.checked)
        answer = page.goto(base + url)
        if answer is None or answer.status >= 400:
            broken.append(f"{url}: {answer.status if answer else 'no answer'}")
            continue
        watch.wait(page, since=since)
    return broken


def _context(browser, language: str = "en"):
    locale = {"en": "en-GB", "de": "de-DE"}[language]
    context = browser.new_context(viewport=DESKTOP_VIEWPORT, locale=locale)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context


@pytest.mark.parametrize(
    "role, language",
    [(role, "en") for role in ROLES] + [("admin", "de"), ("anonymous", "de")],
)
def test_every_page_passes_axe(browser, live_server, role, language):
    world = build_world(payments=True)
    forms_open(world)
    base = live_server.url
    person = _person(world, role)
    context = _context(browser, language)
    if person is not None:
        person.language = language
        person.save(update_fields=["language"])
        _sign_in(context, base, person)
    urls = pages_for(world, role)
    broken = _walk(context, base, urls)
    lang = context.pages[0].locator("html").get_attribute("lang")
    context.close()
    assert not broken, f"pages that did not open as {role}: {broken}"
    assert lang == language
    # _walk waited for axe's report on each page; the teardown fails the test on what it found.


def _fits(failures: list[str], page) -> None:
    try:
        assert_fits(page)
    except AssertionError as problem:
        failures.append(str(problem))


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone(browser, live_server, role):
    """Every page the role may open, at 390 px in German (the longest words of the four
    languages), fits the screen: nothing scrolls sideways, nothing is cut off."""
    world = build_world(payments=True)
    forms_open(world)
    base = live_server.url
    person = _person(world, role)
    context = browser.new_context(
        viewport=MOBILE_VIEWPORT, is_mobile=True, has_touch=True, locale="de-DE"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    if person is not None:
        person.language = "de"
        person.save(update_fields=["language"])
        _sign_in(context, base, person)
    page = context.new_page()
    failures: list[str] = []
    for url in pages_for(world, role):
        since = len(context.axe.checked)
        answer = page.goto(base + url)
        assert answer is not None and answer.status < 400, f"{url} as {role}"
        context.axe.wait(page, since=since)
        _fits(failures, page)
    context.close()
    assert not failures, f"pages wider than a phone as {role}:\n" + "\n\n".join(failures)


def _outline(page) -> tuple[str, str, str]:
    """Style, width and colour of the focused element's outline."""
    return tuple(
        page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
        )
    )


def test_skip_link_landmarks_headings_and_a_visible_focus(page, live_server, screenshot):
    """The first Tab lands on "Skip to content", which shows itself and moves focus to <main>;
    the sidebar is a labelled navigation; one <h1>; a focused control gets a 3 px ring."""
    world = build_world()
    base = live_server.url
    _sign_in(page.context, base, world.a.admin)
    page.goto(base + reverse("resellers:dashboard"))
    skip = page.get_by_test_id("skip-link")
    expect(skip).not_to_be_in_viewport()  # out of sight until focused
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    expect(skip).to_have_text("Skip to content")
    assert _outline(page) == ("solid", "3px", "rgb(11, 79, 156)")
    screenshot(page, "a11y-01-skip-link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert _outline(page)[:2] == ("solid", "3px")
    screenshot(page, "a11y-02-focus-in-main")

    nav = page.get_by_role("navigation", name="Main menu")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile("Dashboard"))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    # In the dark header the ring is white.
    page.get_by_test_id("user-menu").focus()
    assert _outline(page) == ("solid", "3px", "rgb(255, 255, 255)")
    # The chart's figures open as a table.
    page.get_by_test_id("sales-table").locator("summary").click()
    expect(page.get_by_test_id("sales-table").locator("tbody tr")).to_have_count(30)


@pytest.mark.parametrize("legacy", [False, True], ids=["readable", "saved-before-the-check"])
def test_branded_host_passes_axe(playwright_instance, live_server, legacy):
    """A reseller's own host in its branding: a light header (black text on it) and, for a
    row saved before contrast was enforced, grey text on grey that the theme must not use."""
    world = build_world(payments=True)
    forms_open(world)
    tenant = world.a
    host = "portal.a11y.test"
    ResellerHostname.objects.create(
        reseller=tenant.reseller, hostname=host, status=ResellerHostname.Status.ACTIVE
    )
    Branding.objects.create(
        reseller=tenant.reseller,
        display_name="Sunny Mobile",
        header_colour="#f4d03f",
        background_colour="#f4f6f6",
        text_colour="#b2babb" if legacy else "#17202a",
    )
    port = urlsplit(live_server.url).port
    base = f"http://{host}:{port}"
    own = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {host} 127.0.0.1"],
    )
    try:
        anonymous = watch_context(_context(own))
        assert _walk(anonymous, base, [reverse("account_login")]) == []
        anonymous.close()
        for role in ("customer", "admin"):
            context = watch_context(_context(own))
            _sign_in(context, base, world.a.person(role))
            pages = pages_for(world, role)
            assert _walk(context, base, pages) == []
            page = context.pages[0]
            page.goto(base + pages[0])
            header = page.locator("nav.navbar")
            assert header.evaluate("n => getComputedStyle(n).backgroundColor") == (
                "rgb(244, 208, 63)"
            )
            # The focus ring takes the header's readable text colour (black on yellow), and
            # the page's text colour in the page.
            page.keyboard.press("Tab")
            page.get_by_test_id("user-menu").focus()
            assert _outline(page) == ("solid", "3px", "rgb(0, 0, 0)")
            body_text = page.evaluate("getComputedStyle(document.body).color")
            assert body_text == ("rgb(33, 37, 41)" if legacy else "rgb(23, 32, 42)")
            take_screenshot(page, f"a11y-03-branded-{role}-{'legacy' if legacy else 'readable'}")
            context.close()
    finally:
        own.close()
