"""The reverse proxy of the deployment (deploy/nginx.conf), run for real: nginx in front of
gunicorn serving the portal, on loopback. It serves static files and logos with safe headers,
refuses anything in /media/ that is not an image, caps bodies a little above the app's own cap
(so the app's message is what people see), and passes the forwarded headers through."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.services import require_or_skip

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _size(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", text).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit.lower()]


def test_the_proxy_caps_bodies_a_little_above_the_app():
    cap = _size(re.search(r"client_max_body_size\s+(\w+);", CONF.read_text()).group(1))
    assert settings.MAX_REQUEST_BYTES < cap <= 4 * settings.MAX_REQUEST_BYTES


def test_compose_puts_the_proxy_in_front_and_publishes_only_it():
    compose = (ROOT / "docker-compose.yml").read_text()
    web = compose.split("\n  web:\n", 1)[1].split("\n  worker:\n", 1)[0]
    assert "ports:" not in web, "the web service must not be published, only the proxy"
    proxy = compose.split("\n  proxy:\n", 1)[1]
    assert "image: nginx" in proxy and "./deploy/nginx.conf:" in proxy
    assert "static:/srv/tessera/static:ro" in proxy and "media:/srv/tessera/media:ro" in proxy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited: {process.stderr.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not listen on {port}")


def _nginx_conf(tmp: Path, web_port: int, proxy_port: int) -> Path:
    server = (
        CONF.read_text()
        .replace("server web:8000;", f"server 127.0.0.1:{web_port};")
        .replace("listen 80 default_server;", f"listen 127.0.0.1:{proxy_port} default_server;")
        .replace("/srv/tessera/", f"{tmp}/")
    )
    temp = "\n".join(
        f"    {name}_temp_path {tmp}/{name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"user root;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
        f"events {{}}\nhttp {{\n    include /etc/nginx/mime.types;\n    access_log off;\n"
        f"{temp}\n{server}\n}}\n"
    )
    return conf


@pytest.fixture
def proxied_portal(tmp_path, transactional_db):
    """gunicorn (the portal, test settings, this test's database) behind deploy/nginx.conf."""
    if not Path(NGINX).exists():
        require_or_skip("the proxy test needs nginx (apt-get install nginx-light)")
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "static" / "css" / "tessera.css").write_text("body { color: #222; }\n")
    (tmp_path / "media" / "branding").mkdir(parents=True)
    (tmp_path / "media" / "branding" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    (tmp_path / "media" / "branding" / "evil.html").write_text("<script>alert(1)</script>")
    (tmp_path / "media" / "branding" / "evil.svg").write_text("<svg onload='alert(1)'/>")
    web_port, proxy_port = _free_port(), _free_port()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{connection.settings_dict['NAME']}"
        ),
        "TRUSTED_PROXY_COUNT": "1",
    }
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{web_port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    conf = _nginx_conf(tmp_path, web_port, proxy_port)
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(web_port, web, "gunicorn")
        _wait_for(proxy_port, proxy, "nginx")
        yield proxy_port
    finally:
        for process in (proxy, web):
            process.terminate()
            process.wait(timeout=10)


def _request(port: int, method: str, path: str, body: bytes = b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_nginx_in_front_of_gunicorn(proxied_portal):
    port = proxied_portal
    status, headers, _ = _request(port, "GET", "/static/css/tessera.css")
    assert status == 200 and headers["X-Content-Type-Options"] == "nosniff"

    status, headers, _ = _request(port, "GET", "/media/branding/logo.png")
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    for path in ("/media/branding/evil.html", "/media/branding/evil.svg", "/media/"):
        assert _request(port, "GET", path)[0] == 404, path

    # The portal itself, through the proxy: its own headers arrive.
    status, headers, _ = _request(port, "GET", "/accounts/login/")
    assert status == 200 and "nonce-" in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # Over the app's cap, under the proxy's: the app answers with its message.
    status, _, body = _request(
        port, "POST", "/accounts/login/", b"a" * (settings.MAX_REQUEST_BYTES + 1), form
    )
    assert status == 413 and b"The request is too large" in body
    # Over the proxy's cap: refused by nginx, gunicorn never sees it.
    status, _, body = _request(port, "POST", "/accounts/login/", b"a" * (3 * 1024 * 1024), form)
    assert status == 413 and b"nginx" in body
    # A chunked body reaches the app with its length (nginx buffers it): a form error, not 411.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("POST", "/accounts/login/", body=iter([b"login=x", b"&password=y"]), headers=form)
    assert conn.getresponse().status == 403  # CSRF: the app read the form
    conn.close()
