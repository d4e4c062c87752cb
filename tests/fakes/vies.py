"""A fake of the EU VIES REST endpoint on loopback: a real HTTP server in a thread.

Tell it what to answer with `script` (a queue, one answer per request, then `default`):
"valid", "invalid", "unavailable" (userError MS_UNAVAILABLE), "503" (HTTP 503), "timeout"
(answers too late). Every request body is kept in `requests`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeVies:
    def __init__(self, default: str = "valid"):
        self.default = default
        self.script: list[str] = []
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/check-vat-number"

    def start(self) -> FakeVies:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next(self, body: dict) -> str:
        with self._lock:
            self.requests.append(body)
            return self.script.pop(0) if self.script else self.default

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                mode = fake._next(body)
                country, number = body.get("countryCode", ""), body.get("vatNumber", "")
                answer = {
                    "countryCode": country,
                    "vatNumber": number,
                    "requestDate": "2026-11-22T10:00:00.000Z",
                }
                status = 200
                if mode == "valid":
                    answer |= {
                        "valid": True,
                        "requestIdentifier": f"WAPIAAAAW{len(fake.requests):05d}",
                        "name": "FAKE COMPANY GMBH",
                        "address": "MUSTERSTRASSE 1\n10115 BERLIN",
                        "userError": "VALID",
                    }
                elif mode == "invalid":
                    answer |= {
                        "valid": False,
                        "requestIdentifier": "",
                        "name": "---",
                        "address": "---",
                        "userError": "INVALID",
                    }
                elif mode == "unavailable":
                    answer |= {"valid": False, "userError": "MS_UNAVAILABLE"}
                elif mode == "503":
                    status, answer = 503, {"error": "Service Unavailable"}
                elif mode == "timeout":
                    time.sleep(1.5)
                    answer |= {"valid": True, "userError": "VALID"}
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (timeout test)
                    self.wfile.write(payload)

        return Handler
