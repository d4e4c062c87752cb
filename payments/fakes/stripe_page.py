"""The fake's hosted Checkout page: what the payer sees in place of checkout.stripe.com.

One HTML form that works with no JavaScript: the buttons post back to the same address and the
fake answers with a 303 to the session's success or cancel URL, as Stripe's page does. It plays
Stripe's page, so it speaks plain English like a page of another site would; nothing here is
ours to translate.
"""

from __future__ import annotations

from html import escape

from payments.fakes.stripe_wire import major

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;"
    "color:#1a1a1a}h1{font-size:1.25rem}.amount{font-size:2rem;font-weight:600;margin:.5rem 0}"
    "button{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem;"
    "border-radius:.375rem;border:1px solid #555;background:#fff;color:#1a1a1a;cursor:pointer}"
    "button.primary{background:#4338ca;border-color:#4338ca;color:#fff}"
    "button:focus{outline:3px solid #f59e0b;outline-offset:2px}"
    ".alert{padding:.75rem;border:1px solid #b91c1c;color:#7f1d1d;background:#fef2f2}"
)


def checkout_page(*, action: str, session: dict, description: str, notice: str = "") -> bytes:
    """The page for an open session: what is paid, and the four ways out."""
    amount = major(session["amount_total"], session["currency"])
    alert = f'<p class="alert" role="alert">{escape(notice)}</p>' if notice else ""
    email = session.get("customer_email") or ""
    payer = f"<p>Receipt to {escape(email)}</p>" if email else ""
    body = f"""
<h1>Pay {escape(description)}</h1>
<p class="amount" data-testid="amount">{escape(amount)}</p>
{payer}{alert}
<form method="post" action="{escape(action)}">
  <button class="primary" type="submit" name="action" value="pay">Pay</button>
  <button type="submit" name="action" value="pay_async">Pay by bank debit</button>
  <button type="submit" name="action" value="decline">Decline</button>
  <button type="submit" name="action" value="cancel">Cancel</button>
</form>
<p><small>Test mode: Stripe's loopback fake. No real money moves.</small></p>"""
    return _document("Checkout", body, lang="en")


def message_page(*, title: str, text: str, link: str = "", link_text: str = "") -> bytes:
    """A session that is no longer open, or none at all."""
    back = f'<p><a href="{escape(link)}">{escape(link_text)}</a></p>' if link else ""
    return _document(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>{back}", lang="en")


def _document(title: str, body: str, *, lang: str) -> bytes:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Stripe (fake)</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    ).encode()
