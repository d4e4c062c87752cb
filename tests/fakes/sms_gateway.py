"""A loopback fake of an HTTP SMS gateway, for tests and the benchmark.

It takes what `sms.backends.HttpGatewayBackend` sends (POST JSON {to, from, text, reference}
with a bearer token), records every request, and answers as told: "ok" (200 with an id),
"down" (503), "reject" (400), "slow" (answers 200 after `delay` seconds) or "hold" (accepts
the message, then holds the answer until `release` is set: a worker killed meanwhile never
learns it was accepted).

As the README's gateway contract asks, a message whose `reference` was accepted before is a
duplicate: it is answered 200 with the first answer's id and not delivered again
(`delivered()` counts after this; `requests` is the raw log, duplicates included).
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
    duplicate: bool = False  # a reference accepted before: answered, not delivered again


class FakeSmsGateway:
    def __init__(self, token: str = "test-token") -> None:  # noqa: S107 - a fake
        self.token = token
        self.mode = "ok"
        self.delay = 0.0
        # True: close each connection after answering without saying so (as a gateway
        # dropping idle keep-alive connections does), so the next request on it fails.
        self.drop_connections = False
        self.requests: list[Received] = []
        # reference → the id answered when it was first accepted (the messages delivered).
        self.delivered_ids: dict[str, str] = {}
        self.release = threading.Event()  # "hold": set it to let the held answer go
        self.holding = threading.Event()  # "hold": set once a message is accepted and held
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

    def delivered(self) -> Counter:
        """How often each reference was delivered to a phone: after dropping duplicates."""
        with self._lock:
            return Counter(
                r.payload.get("reference")
                for r in self.requests
                if 200 <= r.status < 300 and not r.duplicate
            )

    def _answer(self, payload: dict, authorization: str) -> tuple[int, dict, bool]:
        """The status, the body, and whether it is a duplicate of an accepted reference."""
        if authorization != f"Bearer {self.token}":
            return 401, {"error": "bad token"}, False
        reference = payload.get("reference")
        with self._lock:
            first_id = self.delivered_ids.get(reference)
        if first_id is not None:
            return 200, {"id": first_id, "duplicate": True}, True
        status, body = self._fresh_answer(payload)
        if 200 <= status < 300:
            with self._lock:
                self.delivered_ids[reference] = body["id"]
        return status, body, False

    def _fresh_answer(self, payload: dict) -> tuple[int, dict]:
        if self.mode == "down":
            return 503, {"error": "temporarily unavailable"}
        if self.mode == "reject":
            return 400, {"error": "invalid destination"}
        if self.mode == "slow":
            time.sleep(self.delay)
        return 200, {"id": f"gw-{payload.get('reference')}-{len(self.requests)}"}

    def _hold(self) -> None:
        """In "hold" mode: the message is accepted; hold this answer until `release`."""
        if self.mode == "hold":
            self.mode = "ok"  # only the first message is held
            self.holding.set()
            self.release.wait(timeout=120)

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
                authorization = self.headers.get("Authorization", "")
                hold = gateway.mode == "hold"
                status, body, duplicate = gateway._answer(payload, authorization)
                with gateway._lock:
                    gateway.requests.append(
                        Received(payload, authorization, status, self.client_address, duplicate)
                    )
                if hold:
                    gateway._hold()
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
