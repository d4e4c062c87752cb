"""A loopback fake of an HTTP SMS gateway, for tests and the benchmark.

It takes what `sms.backends.HttpGatewayBackend` sends (POST JSON {to, from, text, reference}
with a bearer token), records every request, and answers as told: "ok" (200 with an id),
"down" (503), "reject" (400) or "slow" (answers 200 after `delay` seconds).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    payload: dict
    authorization: str
    status: int
    client: tuple = ()  # the client's (host, port): one per connection


class FakeSmsGateway:
    def __init__(self, token: str = "test-token") -> None:  # noqa: S107 - a fake
        self.token = token
        self.mode = "ok"
        self.delay = 0.0
        # True: close each connection after answering without saying so (as a gateway
        # dropping idle keep-alive connections does), so the next request on it fails.
        self.drop_connections = False
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/messages"

    def start(self) -> FakeSmsGateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accepted(self) -> list[dict]:
        """The payloads answered 2xx: the messages a real gateway would deliver."""
        with self._lock:
            return [r.payload for r in self.requests if 200 <= r.status < 300]

    def connections(self) -> int:
        """How many client connections the requests came on."""
        with self._lock:
            return len({r.client for r in self.requests})

    def accepted_per_reference(self) -> Counter:
        return Counter(p["reference"] for p in self.accepted())

    def _answer(self, payload: dict, authorization: str) -> tuple[int, dict]:
        if authorization != f"Bearer {self.token}":
            return 401, {"error": "bad token"}
        if self.mode == "down":
            return 503, {"error": "temporarily unavailable"}
        if self.mode == "reject":
            return 400, {"error": "invalid destination"}
        if self.mode == "slow":
            time.sleep(self.delay)
        return 200, {"id": f"gw-{payload.get('reference')}-{len(self.requests)}"}

    def _handler(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real gateways do
            # The answer's head and body in one segment: with keep-alive, two small writes
            # meet the client's delayed ACK (Nagle) and every answer would wait ~40 ms.
            disable_nagle_algorithm = True
            wbufsize = -1  # buffered; flushed once the answer is written

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    payload = {}
                status, body = gateway._answer(payload, self.headers.get("Authorization", ""))
                with gateway._lock:
                    gateway.requests.append(
                        Received(
                            payload,
                            self.headers.get("Authorization", ""),
                            status,
                            self.client_address,
                        )
                    )
                raw = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:  # the client gave up (a timeout test)
                    pass
                if gateway.drop_connections:
                    self.close_connection = True

            def log_message(self, *args):
                pass

        return Handler
