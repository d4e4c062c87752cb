import io, re, json
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

def test_scratch(live_server, transactional_db, browser):
    call_command("demo_data", stdout=io.StringIO())
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
    p = ctx.new_page()
    p.goto(live_server.url + "/")
    p.screenshot(path="/tmp/m-login.png", full_page=True)
    p.fill('input[name=login]', "admin@alpha.test"); p.fill('input[name=password]', "tessera-demo-2026")
    p.locator('main button[type=submit]').click()
    expect(p).to_have_url(re.compile("/tenant/$"))
    p.screenshot(path="/tmp/m-choose.png", full_page=True)
    info = p.evaluate("""() => [...document.querySelectorAll('.list-group button')].map(b => {const s=getComputedStyle(b); const r=b.getBoundingClientRect(); return {top:r.top,bottom:r.bottom,bt:s.borderTopWidth,bb:s.borderBottomWidth,rad:[s.borderTopLeftRadius,s.borderBottomLeftRadius]}})""")
    print(json.dumps(info))
    p.locator("main .list-group").screenshot(path="/tmp/m-list.png")
    p.locator(".list-group button", has_text="Alpha Telecom").click()
    expect(p).to_have_url(re.compile("/r/$"))
    p.get_by_test_id("tenant-menu").click()
    p.wait_for_timeout(300)
    p.screenshot(path="/tmp/m-tenant-menu.png")
    names = p.evaluate("() => [...document.querySelectorAll('#sidebar a')].map(a => JSON.stringify(a.innerText))")
    print(names)
    print(p.locator('#sidebar a').first.evaluate("a => getComputedStyle(a.querySelector('i'), '::before').content"))
    print(p.locator("#sidebar").aria_snapshot() if False else "")
    print(p.evaluate("() => [...document.querySelectorAll('.navbar > .container-fluid > *')].map(e => [e.className, Math.round(e.getBoundingClientRect().left), Math.round(e.getBoundingClientRect().width)])"))
    ctx.close()
