"""deploy/nginx.conf is a valid nginx configuration whose body limit is the app's largest, and
which keeps /metrics and a client's own X-Forwarded-For from web."""

import http.server
import re
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import ClassVar

import pytest
from django.urls import reverse

from schoolchat import limits
from tests.conftest import IN_CI
from tests.proxy import (
    CONF,
    Proxy,
    StaleSubstitution,
    find_nginx,
    free_port,
    local_config,
    running_proxy,
)


def require_nginx() -> None:
    if find_nginx() is None or shutil.which("openssl") is None:
        message = "nginx or openssl is not installed (apt-get install nginx)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def test_nginx_accepts_the_configuration_the_tests_run(tmp_path: Path) -> None:
    """deploy/nginx.conf, with only the local replacements of tests/proxy.py, is what the fault
    tests and the bench put in front of their daphne processes."""
    require_nginx()
    proxy = Proxy([free_port(), free_port()], tmp_path)
    proxy.write()
    result = proxy.check()
    assert result.returncode == 0, result.stderr
    local = proxy.conf.read_text()
    # Everything but the replaced lines is the file compose mounts, line for line.
    replaced = re.compile(r"\s*(pid|error_log|access_log|set \$web|listen|ssl_certificate\w*|user"
                          r"|server 127\.0\.0\.1:\d+|upstream web|\w+_temp_path|\})[ ;]")
    kept = [line for line in CONF.read_text().splitlines() if not replaced.match(line + " ")]
    assert kept == [line for line in local.splitlines() if not replaced.match(line + " ")]
    assert "set $web http://web;" in local and f"server 127.0.0.1:{proxy.backends[1]};" in local
    assert f"listen 127.0.0.1:{proxy.https_port} ssl http2;" in local
    directives = "\n".join(line.split("#")[0] for line in local.splitlines())
    assert "/etc/nginx" not in directives and "[::]" not in directives


@pytest.mark.parametrize(("line", "changed"), [
    ("set $web http://web:8000;", "set $web http://app:8000;"),
    ("listen 443 ssl http2;", "listen 8443 ssl;"),
    ("ssl_certificate_key /etc/nginx/certs/privkey.pem;", "ssl_certificate_key /run/key.pem;"),
    ("pid /tmp/nginx.pid;", "pid /run/nginx.pid;"),
])
def test_a_proxy_file_the_local_run_cannot_follow_fails_loudly(line: str, changed: str,
                                                              tmp_path: Path) -> None:
    text = CONF.read_text()
    assert line in text
    with pytest.raises(StaleSubstitution):
        local_config(text.replace(line, changed), backends=[8001], http_port=8080,
                     https_port=8443, certs=tmp_path, run_dir=tmp_path)


def test_the_proxy_body_limit_is_the_apps_largest_allowance() -> None:
    size = re.search(r"^\s*client_max_body_size (\d+)k;", CONF.read_text(), re.M)
    assert size, "client_max_body_size in KiB"
    assert int(size.group(1)) * 1024 == limits.body_allowance(reverse("messaging:upload", args=[1]))


def test_websockets_are_upgraded_and_not_buffered() -> None:
    text = CONF.read_text()
    ws = text[text.index("location /ws/"):]
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_set_header Connection $connection_upgrade;" in text
    assert "proxy_buffering off;" in ws[: ws.index("}")]
    assert "proxy_set_header X-Forwarded-Proto https;" in text


class _Backend(http.server.BaseHTTPRequestHandler):
    """Stands in for web behind nginx: answers 200 and records what nginx passed on."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("X-Forwarded-For")))
        body = b"from web"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_the_proxy_refuses_metrics_and_replaces_the_clients_forwarded_for(tmp_path: Path) -> None:
    """From outside, /metrics does not exist at the proxy (web never sees the request), and a
    client's own X-Forwarded-For never reaches web: only the address nginx saw."""
    require_nginx()
    _Backend.seen = []
    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    try:
        with running_proxy([backend.server_address[1]], tmp_path) as proxy:
            context = proxy.ssl_context()

            def get(path: str) -> tuple[int, bytes]:
                request = urllib.request.Request(f"{proxy.origin}{path}",
                                                 headers={"X-Forwarded-For": "203.0.113.9"})
                try:
                    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
                        return answer.status, answer.read()
                except urllib.error.HTTPError as refused:
                    return refused.code, refused.read()

            for path in ("/metrics", "/metrics?format=text", "//metrics", "/%6detrics"):
                status, _body = get(path)
                assert status == 404, path
            assert get("/c/1/") == (200, b"from web")
    finally:
        backend.shutdown()
        backend.server_close()
    assert _Backend.seen == [("/c/1/", "127.0.0.1")]
