"""The response headers every page of ours must carry, checked on every answer the role
matrix gets (harness.role_failures): Content-Security-Policy with a fresh nonce and nothing
inline without it, Permissions-Policy, and no caching of what a signed-in person sees.

`form-action` is 'self', and on the pages whose form leads to a payment provider's checkout
(payments.views.reseller.allow_checkout) also that provider's checkout origin, nothing else.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from payments.gateways.registry import GATEWAYS, checkout_origin

# The nonces seen in this test run: a nonce used twice is not a nonce.
SEEN_NONCES: set[str] = set()

REQUIRED_DIRECTIVES = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
# <script type="..."> that browsers do not run (data blocks, e.g. allauth's JSON).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


def csp_directives(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


class InlineCode(HTMLParser):
    """Collects what a CSP with nonces refuses: inline <script> and <style> elements (and
    their nonces), event handler attributes (on...=) and style attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.script_nonces: list[str | None] = []
        self.style_nonces: list[str | None] = []
        self.handlers: list[str] = []
        self.style_attributes: list[str] = []
        self.external_scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, _value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}=...>")
            if name == "style":
                self.style_attributes.append(f"<{tag} style={attributes['style']!r}>")
        if tag == "script":
            if (attributes.get("type") or "").lower() in DATA_SCRIPT_TYPES:
                return
            if attributes.get("src"):
                self.external_scripts.append(attributes["src"])
            else:
                self.script_nonces.append(attributes.get("nonce"))
        elif tag == "style":
            self.style_nonces.append(attributes.get("nonce"))


def _form_action_allowed(value: str | None) -> bool:
    """'self', then only the checkout origins of the providers as configured now."""
    tokens = (value or "").split()
    checkouts = {checkout_origin(name) for name in GATEWAYS} - {""}
    return tokens[:1] == ["'self'"] and set(tokens[1:]) <= checkouts


def header_failures(response, *, signed_in: bool, where: str) -> list[str]:
    failures = []
    header = response.headers.get("Content-Security-Policy")
    if not header:
        return [f"{where}: no Content-Security-Policy header"]
    directives = csp_directives(header)
    for name, value in REQUIRED_DIRECTIVES.items():
        if name == "form-action" and _form_action_allowed(directives.get(name)):
            continue
        if directives.get(name) != value:
            failures.append(f"{where}: CSP {name} is {directives.get(name)!r}, not {value!r}")
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"):
        if unsafe in header:
            failures.append(f"{where}: the CSP allows {unsafe}: {header}")
    if "camera=()" not in response.headers.get("Permissions-Policy", ""):
        failures.append(f"{where}: no Permissions-Policy refusing the camera")
    if signed_in:
        cache = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
        if not {"no-store", "private"} <= cache:
            failures.append(f"{where}: signed in, but Cache-Control is {cache}")

    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith("text/html") or not response.content:
        return failures
    page = InlineCode()
    page.feed(response.content.decode(response.charset or "utf-8"))
    match = re.search(r"'nonce-([^']+)'", directives.get("script-src", ""))
    nonce = match.group(1) if match else None
    if nonce is not None:
        if nonce in SEEN_NONCES:
            failures.append(f"{where}: the nonce {nonce} was used by an earlier response")
        SEEN_NONCES.add(nonce)
        if f"'nonce-{nonce}'" not in directives.get("style-src", ""):
            failures.append(f"{where}: style-src has not the page's nonce: {header}")
    elif page.script_nonces or page.style_nonces or page.external_scripts:
        failures.append(f"{where}: a page with scripts or styles, but no nonce in {header}")
    for kind, nonces in (("script", page.script_nonces), ("style", page.style_nonces)):
        if any(n is None or n != nonce for n in nonces):
            failures.append(f"{where}: an inline <{kind}> without the response's nonce")
    for src in page.external_scripts:
        if not src.startswith("/") or src.startswith("//"):
            failures.append(f"{where}: a script from another origin: {src}")
    failures += [f"{where}: inline event handler {h}" for h in page.handlers]
    failures += [f"{where}: inline style attribute {s}" for s in page.style_attributes]
    return failures
