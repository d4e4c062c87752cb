"""A loopback fake of PayPal's IPN postback endpoint, for `make run` and the tests.

`FakePayPalIpn.message(**fields)` writes an IPN body as PayPal would (form-encoded in the
charset it names, windows-1252 by default) and remembers it; its WSGI app answers the
postback (`cmd=_notify-validate&` + body, at `/cgi-bin/webscr`) `VERIFIED` for a body it wrote,
unchanged, and `INVALID` for anything else, as PayPal does. `outage` answers 503 that many times.
"""

from __future__ import annotations

import threading
from urllib.parse import urlencode

VALIDATE_PREFIX = b"cmd=_notify-validate&"


class FakePayPalIpn:
    def __init__(self) -> None:
        self.sent: set[bytes] = set()
        self.postbacks: list[bytes] = []
        self.outage = 0
        self._lock = threading.Lock()

    def message(self, *, charset: str = "windows-1252", **fields: str) -> bytes:
        """An IPN body PayPal would post (fields in the order given, `charset` named)."""
        body = urlencode({**fields, "charset": charset}, encoding=charset).encode("ascii")
        with self._lock:
            self.sent.add(body)
        return body

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != "/cgi-bin/webscr" or environ["REQUEST_METHOD"] != "POST":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not here"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        with self._lock:
            self.postbacks.append(body)
            if self.outage:
                self.outage -= 1
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"unavailable"]
            known = body.startswith(VALIDATE_PREFIX) and body[len(VALIDATE_PREFIX) :] in self.sent
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"VERIFIED" if known else b"INVALID"]
