"""The Content-Security-Policy as a browser applies it: the watch every journey gets
(conftest.no_csp_violations) sees a refused inline script, and what used to be inline handlers
(confirmations, the language menu) works from static/js/tessera.js."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CSP_VIOLATIONS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_watch_sees_what_the_policy_refuses(
    page, live_server, no_csp_violations, no_axe_violations
):
    """A page served with our policy and an inline script without the nonce: chromium refuses
    it and the watch records it (then the record is emptied, so this test passes)."""
    from django.conf import settings

    policy = "; ".join(
        f"{name} {' '.join(str(v) for v in values)}"
        for name, values in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()
        if "NONCE" not in repr(values)
    )
    policy += "; script-src 'self' 'nonce-abc'"
    page.route(
        re.compile(r".*/csp-probe/$"),
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": policy},
            body="<!DOCTYPE html><p>probe</p><script>document.title = 'ran'</script>"
            "<script nonce='abc'>document.body.dataset.ok = '1'</script>",
        ),
    )
    page.goto(live_server.url + "/csp-probe/")
    expect(page.locator("body")).to_have_attribute("data-ok", "1")
    assert page.title() != "ran"
    page.wait_for_timeout(200)
    assert any("script-src" in v for v in CSP_VIOLATIONS), CSP_VIOLATIONS
    no_csp_violations.clear()
    no_axe_violations.clear()  # the probe is a bare page of no use to axe (no title, no lang)


def test_confirmations_and_the_language_menu_work_without_inline_handlers(page, live_server):
    """data-confirm and data-autosubmit (static/js/tessera.js) replaced onsubmit/onchange."""
    import io

    from django.core.management import call_command

    from customers.models import Customer

    call_command("demo_data", stdout=io.StringIO())
    customer = Customer.objects.filter(reseller__name="Alpha Telecom").order_by("pk").first()
    sign_in(page, live_server.url, "user@alpha.test")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.goto(f"{live_server.url}/r/customers/{customer.pk}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    questions = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name=re.compile("Resend new credentials")).click()
    expect(page).to_have_url(re.compile(rf"/r/customers/{customer.pk}/$"))
    assert questions == ["Send new sign-in details by SMS? The old password stops working."]
    with page.expect_navigation():
        page.once("dialog", lambda d: answer(d, True))
        page.get_by_role("button", name=re.compile("Resend new credentials")).click()
    assert len(questions) == 2
    # The language menu sends its form when another language is chosen.
    page.get_by_test_id("user-menu").click()
    with page.expect_navigation():
        page.locator('select[name="language"]').select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
