"""The fake PayPal checkout (Payments Standard) for `make run` and the journeys: the form the
portal posts shows a "PayPal (test)" page; "Pay now" posts an IPN to the form's notify_url
from a background thread, which the fake's own postback then VERIFIES, and sends the browser
back to `return`."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qsl

import pytest
import requests

from payments.fakes.paypal_ipn import FakePayPalIpn
from payments.fakes.server import serve
from payments.gateways.paypal_ipn import IpnVerdict, ipn_parse, ipn_verify
from tests.payments.conftest import WebhookSink

FORM = {
    "cmd": "_xclick",
    "business": "Shop@Kiosk-Nord.example",
    "item_name": "Guthaben für +4917012345678",
    "amount": "20.00",
    "currency_code": "EUR",
    "invoice": "CPABCDEFGH2345",
    "custom": "17",
    "return": "http://portal.example/my/top-up/CPABCDEFGH2345/",
    "cancel_return": "http://portal.example/my/top-up/",
    "charset": "utf-8",
    "no_shipping": "1",
    "no_note": "1",
    "lc": "DE",
}


@pytest.fixture
def running():
    fake = FakePayPalIpn(merchant_ids={"shop@kiosk-nord.example": "S8XGHLYDW9T3S"})
    sink = WebhookSink()
    server = serve({"paypal-ipn": fake, "portal": sink})
    base = server.base_url
    form = {**FORM, "notify_url": f"{base}/portal/ipn/paypal/tok/"}
    yield fake, sink, f"{base}/paypal-ipn/cgi-bin/webscr", form
    server.stop()


def _hidden(html: str) -> dict[str, str]:
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }


def test_paying_on_the_fake_checkout_sends_an_ipn_the_fake_verifies(running):
    fake, sink, url, form = running
    page = requests.post(url, data=form, timeout=5)
    assert page.status_code == 200 and "PayPal (test)" in page.text
    assert "20.00 EUR" in page.text and "Shop@Kiosk-Nord.example" in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    assert action == "/paypal-ipn/cgi-bin/webscr"
    pay = _hidden(page.text)
    assert pay["cmd"] == "_fake-pay" and pay["item_name"] == "Guthaben für +4917012345678"

    paid = requests.post(url, data=pay, timeout=5, allow_redirects=False)
    assert paid.status_code == 303 and paid.headers["Location"] == form["return"]
    (sent,) = fake.wait_sent(1)
    assert sent.status == 200 and sent.url == form["notify_url"]
    ((body, headers),) = sink.received
    assert body == sent.body
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"

    message = ipn_parse(body)
    assert message.get("txn_type") == "web_accept" and message.payment_status == "Completed"
    assert re.fullmatch(r"[A-Z0-9]{17}", message.txn_id)
    assert message.receiver_email == "shop@kiosk-nord.example"
    assert message.receiver_id == "S8XGHLYDW9T3S"
    assert (message.gross, message.currency) == (Decimal("20.00"), "EUR")
    assert (message.invoice, message.custom) == ("CPABCDEFGH2345", "17")
    assert message.get("item_name") == "Guthaben für +4917012345678"
    assert message.get("charset") == "utf-8" and message.get("payer_email")
    # What PayPal sent is what PayPal confirms: the postback says VERIFIED.
    assert ipn_verify(message, url=url, timeout=5) == IpnVerdict.VERIFIED
    tampered = ipn_parse(body.replace(b"mc_gross=20.00", b"mc_gross=50.00"))
    assert ipn_verify(tampered, url=url, timeout=5) == IpnVerdict.INVALID


def test_each_payment_has_its_own_txn_id_and_unknown_receivers_get_the_default_id(running):
    fake, _sink, _url, form = running
    form = {**form, "business": "someone@else.example"}
    first = fake.pay(form, deliver=False)
    second = fake.pay(form, deliver=False)
    ids = [ipn_parse(ipn.body).txn_id for ipn in (first, second)]
    assert ids[0] != ids[1]
    assert ipn_parse(first.body).receiver_id == fake.merchant_id
    assert fake.ipns_sent == [first, second]


def test_the_checkout_opens_by_get_too_and_refuses_a_form_without_receiver(running):
    _fake, _sink, url, form = running
    page = requests.get(url, params=form, timeout=5)
    assert page.status_code == 200 and "Pay now" in page.text
    cancel = re.search(r'<a class="cancel" href="([^"]+)"', page.text).group(1)
    assert cancel == form["cancel_return"]
    broken = requests.post(url, data={**form, "business": ""}, timeout=5)
    assert broken.status_code == 400


def test_the_postback_still_answers_invalid_for_anything_it_did_not_write(running):
    fake, _sink, url, _form = running
    answer = requests.post(url, data=b"cmd=_notify-validate&txn_id=FORGED", timeout=5)
    assert answer.text == "INVALID"
    known = fake.message(txn_id="X1", txn_type="web_accept")
    answer = requests.post(url, data=b"cmd=_notify-validate&" + known, timeout=5)
    assert answer.text == "VERIFIED"
    assert dict(parse_qsl(fake.postbacks[-1].decode()))["txn_id"] == "X1"
