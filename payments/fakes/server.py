"""Serve the fakes: one threaded WSGI server on loopback, each fake under its own prefix."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def dispatch(apps: Mapping[str, WsgiApp]) -> WsgiApp:
    """One WSGI app routing "/stripe/..." to apps["stripe"] with the prefix moved from
    PATH_INFO to SCRIPT_NAME (so a fake builds its own absolute links)."""

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        for prefix, target in apps.items():
            head = f"/{prefix}"
            if path == head or path.startswith(head + "/"):
                environ = dict(environ)
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + head
                environ["PATH_INFO"] = path[len(head) :] or "/"
                return target(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such fake"]

    return app


class RunningFakes:
    """A server started by `serve`; `base_url` is "http://127.0.0.1:<port>"."""

    def __init__(self, server: WSGIServer, thread: threading.Thread):
        self.server = server
        self.thread = thread
        host, port = server.server_address[:2]
        self.base_url = f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(apps: Mapping[str, WsgiApp], *, host: str = "127.0.0.1", port: int = 0) -> RunningFakes:
    """Start the fakes in a daemon thread; port 0 picks a free one."""
    server = make_server(
        host, port, dispatch(apps), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="payment-fakes", daemon=True)
    thread.start()
    return RunningFakes(server, thread)
