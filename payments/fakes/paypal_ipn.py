"""A loopback fake of PayPal Payments Standard: its checkout page and its IPN, for `make run`
and the tests.

`FakePayPalIpn.message(**fields)` writes an IPN body as PayPal would (form-encoded in the
charset it names, windows-1252 by default) and remembers it; its WSGI app answers the
postback (`cmd=_notify-validate&` + body, at `/cgi-bin/webscr`) `VERIFIED` for a body it wrote,
unchanged, and `INVALID` for anything else, as PayPal does. `outage` answers 503 that many times.

The checkout: the customer's browser posts (or gets) the Payments Standard form (`cmd=_xclick`)
to `/cgi-bin/webscr`; the fake shows a small "PayPal (test)" page with the amount and the
receiver, and its "Pay now" button makes the payment: an IPN (`web_accept`, `Completed`, a new
`txn_id`, written with `.message`, so the postback VERIFIES it) is posted to the form's
`notify_url` from a background thread, as PayPal does on its own time, and the browser is sent
(303) to the form's `return`. Each IPN sent is kept in `ipns_sent` (`wait_sent` waits for its
delivery). `merchant_ids` names the receiver's merchant id per receiver e-mail (`receiver_id`);
any other e-mail gets `merchant_id`.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from html import escape
from urllib.parse import parse_qsl, urlencode

import requests

VALIDATE_PREFIX = b"cmd=_notify-validate&"
PAY_COMMAND = "_fake-pay"
TXN_ALPHABET = string.ascii_uppercase + string.digits
# What the checkout carries from the Payments Standard form to its "Pay now" form.
CHECKOUT_FIELDS = (
    "business",
    "item_name",
    "amount",
    "currency_code",
    "invoice",
    "custom",
    "notify_url",
    "return",
    "cancel_return",
    "charset",
    "lc",
)


@dataclass
class SentIpn:
    """One IPN the fake posted: where, what, and what the listener answered."""

    url: str
    body: bytes
    status: int | None = None
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event, repr=False)


class FakePayPalIpn:
    def __init__(
        self,
        *,
        merchant_ids: dict[str, str] | None = None,
        merchant_id: str = "FAKEMERCHANT1",
        payer_email: str = "buyer@example.test",
    ) -> None:
        self.sent: set[bytes] = set()
        self.postbacks: list[bytes] = []
        self.ipns_sent: list[SentIpn] = []
        self.outage = 0
        self.merchant_ids = {k.lower(): v for k, v in (merchant_ids or {}).items()}
        self.merchant_id = merchant_id
        self.payer_email = payer_email
        self._lock = threading.Lock()

    def message(self, *, charset: str = "windows-1252", **fields: str) -> bytes:
        """An IPN body PayPal would post (fields in the order given, `charset` named)."""
        body = urlencode({**fields, "charset": charset}, encoding=charset).encode("ascii")
        with self._lock:
            self.sent.add(body)
        return body

    # --- The checkout -------------------------------------------------------------------------

    def pay(self, form: dict[str, str], *, deliver: bool = True) -> SentIpn:
        """Make the payment a checkout form describes: the IPN PayPal would send for it,
        posted to its notify_url in a background thread (unless not `deliver`)."""
        business = form.get("business", "")
        receiver_id = (
            self.merchant_ids.get(business.strip().lower(), self.merchant_id)
            if "@" in business
            else business
        )
        charset = form.get("charset") or "windows-1252"
        body = self.message(
            charset=charset,
            txn_type="web_accept",
            payment_status="Completed",
            txn_id="".join(secrets.choice(TXN_ALPHABET) for _ in range(17)),
            receiver_email=business,
            receiver_id=receiver_id,
            payer_email=self.payer_email,
            item_name=form.get("item_name", ""),
            mc_gross=form.get("amount", ""),
            mc_currency=form.get("currency_code", ""),
            invoice=form.get("invoice", ""),
            custom=form.get("custom", ""),
        )
        ipn = SentIpn(url=form.get("notify_url", ""), body=body)
        with self._lock:
            self.ipns_sent.append(ipn)
        if deliver:
            threading.Thread(target=self._deliver, args=(ipn,), daemon=True).start()
        else:
            ipn.done.set()
        return ipn

    def _deliver(self, ipn: SentIpn) -> None:
        try:
            answer = requests.post(
                ipn.url,
                data=ipn.body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=30,
            )
            ipn.status = answer.status_code
        except requests.RequestException as exc:
            ipn.error = str(exc)
        finally:
            ipn.done.set()

    def wait_sent(self, count: int = 1, timeout: float = 15.0) -> list[SentIpn]:
        """The first `count` IPNs sent, once each has been delivered (or failed)."""
        deadline = time.monotonic() + timeout
        while len(self.ipns_sent) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        sent = self.ipns_sent[:count]
        assert len(sent) == count, f"the fake sent {len(self.ipns_sent)} IPNs, not {count}"
        for ipn in sent:
            assert ipn.done.wait(timeout), f"the IPN to {ipn.url} was not delivered in time"
        return sent

    # --- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != "/cgi-bin/webscr":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not here"]
        method = environ["REQUEST_METHOD"]
        if method == "GET":
            form = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
            return self._checkout(environ, start_response, form)
        if method != "POST":
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
            return [b"not allowed"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        if not body.startswith(VALIDATE_PREFIX):
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            if form.get("cmd") in ("_xclick", PAY_COMMAND):
                return self._checkout(environ, start_response, form)
        with self._lock:
            self.postbacks.append(body)
            if self.outage:
                self.outage -= 1
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"unavailable"]
            known = body.startswith(VALIDATE_PREFIX) and body[len(VALIDATE_PREFIX) :] in self.sent
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"VERIFIED" if known else b"INVALID"]

    def _checkout(self, environ, start_response, form: dict[str, str]):
        if form.get("cmd") == PAY_COMMAND:
            self.pay(form)
            start_response("303 See Other", [("Location", form.get("return", "/"))])
            return [b""]
        if form.get("cmd") != "_xclick" or not form.get("business") or not form.get("amount"):
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"cmd=_xclick with business and amount expected"]
        action = environ.get("SCRIPT_NAME", "") + "/cgi-bin/webscr"
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [checkout_page(action=action, form=form)]


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;"
    "color:#1a1a1a}h1{font-size:1.25rem}.amount{font-size:2rem;font-weight:600;margin:.5rem 0}"
    "button,a.cancel{display:block;box-sizing:border-box;width:100%;margin:.5rem 0;"
    "padding:.75rem;font-size:1rem;border-radius:.375rem;border:1px solid #555;"
    "background:#fff;color:#1a1a1a;text-align:center;text-decoration:none}"
    "button.primary{background:#003087;border-color:#003087;color:#fff}"
    "button:focus,a:focus{outline:3px solid #f59e0b;outline-offset:2px}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dd{margin:0;"
    "overflow-wrap:anywhere}"
)


def checkout_page(*, action: str, form: dict[str, str]) -> bytes:
    """PayPal's page in place of www.paypal.com: what is paid to whom, Pay now or cancel. It
    plays PayPal's page, in plain English like a page of another site; nothing to translate."""
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(form.get(name, ""))}">'
        for name in CHECKOUT_FIELDS
    )
    amount = f"{form.get('amount', '')} {form.get('currency_code', '')}".strip()
    cancel = form.get("cancel_return", "")
    back = f'<a class="cancel" href="{escape(cancel)}">Cancel and return</a>' if cancel else ""
    body = f"""
<h1>PayPal (test)</h1>
<p>{escape(form.get("item_name", ""))}</p>
<p class="amount" data-testid="paypal-amount">{escape(amount)}</p>
<dl>
  <dt>To</dt><dd data-testid="paypal-receiver">{escape(form.get("business", ""))}</dd>
  <dt>Order</dt><dd data-testid="paypal-invoice">{escape(form.get("invoice", ""))}</dd>
</dl>
<form method="post" action="{escape(action)}" accept-charset="utf-8">
  <input type="hidden" name="cmd" value="{PAY_COMMAND}">{hidden}
  <button class="primary" type="submit">Pay now</button>
</form>
{back}
<p><small>Test mode: PayPal's loopback fake. No real money moves.</small></p>"""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>PayPal (test)</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    ).encode()
