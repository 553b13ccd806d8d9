"""deploy/nginx.conf run by Debian's nginx in front of local daphne processes (tests, bench).

docker-compose.yml mounts deploy/nginx.conf as it is. Outside Docker the same file runs with
only what cannot be the same replaced, each replacement required to apply exactly as often as
written (:class:`StaleSubstitution` otherwise, so a changed proxy file fails the tests instead
of being tested half-changed):

- the address list: ``http://web:8000`` (Docker's DNS name, looked up through ``resolver``)
  becomes ``http://web``, an ``upstream web`` block listing the local daphne ports;
- the listeners: ports 80 and 443 become free ports on 127.0.0.1 (no IPv6 listener);
- the certificate directory: a self-signed certificate made with ``openssl`` for 127.0.0.1;
- the pid file, the logs and nginx's temporary folders: files in the run's own folder.

Everything else (timeouts, body limits, headers, websocket upgrade, TLS settings) is the file's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "deploy" / "nginx.conf"
CERT_DIR = "/etc/nginx/certs"
ADDRESS = "http://web:8000"
TEMP_FOLDERS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class StaleSubstitution(ValueError):
    """deploy/nginx.conf no longer has a line the local run replaces."""


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _replace(text: str, old: str, new: str, count: int = 1) -> str:
    found = text.count(old)
    if found != count:
        raise StaleSubstitution(
            f"deploy/nginx.conf: expected {old.strip()!r} {count} time(s), found it {found}")
    return text.replace(old, new)


def local_config(text: str, *, backends: list[int], http_port: int, https_port: int,
                 certs: Path, run_dir: Path) -> str:
    """The text of deploy/nginx.conf with the local replacements listed in the module doc."""
    if not backends:
        raise ValueError("at least one backend port")
    servers = "".join(f"        server 127.0.0.1:{port};\n" for port in backends)
    temp = "".join(f"    {name}_temp_path {run_dir / 'temp' / name};\n" for name in TEMP_FOLDERS)
    user = "user root;\n" if os.geteuid() == 0 else ""
    text = _replace(text, "pid /tmp/nginx.pid;\n", f"{user}pid {run_dir / 'nginx.pid'};\n")
    text = _replace(text, "error_log /dev/stderr warn;", f"error_log {run_dir / 'error.log'} warn;")
    text = _replace(text, "access_log /dev/stdout;", f"access_log {run_dir / 'access.log'};")
    text = _replace(text, "\nhttp {\n", f"\nhttp {{\n{temp}    upstream web {{\n{servers}    }}\n")
    text = _replace(text, f"set $web {ADDRESS};", "set $web http://web;")
    text = _replace(text, "        listen 80;\n", f"        listen 127.0.0.1:{http_port};\n")
    text = _replace(text, "        listen [::]:80;\n", "")
    text = _replace(text, "        listen 443 ssl http2;\n",
                    f"        listen 127.0.0.1:{https_port} ssl http2;\n")
    text = _replace(text, "        listen [::]:443 ssl http2;\n", "")
    return _replace(text, f"{CERT_DIR}/", f"{certs}/", count=2)


def make_certificate(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (fullchain.pem, privkey.pem) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
         "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")],
        check=True, capture_output=True, timeout=60)
    return folder


@dataclass
class Proxy:
    """nginx running the local form of deploy/nginx.conf over ``backends`` (daphne ports)."""

    backends: list[int]
    run_dir: Path
    http_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def conf(self) -> Path:
        return self.run_dir / "nginx.conf"

    @property
    def certs(self) -> Path:
        return self.run_dir / "certs"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.https_port}/ws/"

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certs / "fullchain.pem"))

    def write(self) -> Path:
        for name in TEMP_FOLDERS:
            (self.run_dir / "temp" / name).mkdir(parents=True, exist_ok=True)
        make_certificate(self.certs)
        self.conf.write_text(local_config(
            CONF.read_text(), backends=self.backends, http_port=self.http_port,
            https_port=self.https_port, certs=self.certs, run_dir=self.run_dir))
        return self.conf

    def command(self, *args: str) -> list[str]:
        nginx = find_nginx()
        if nginx is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        return [nginx, "-p", str(self.run_dir), "-e", str(self.run_dir / "error.log"),
                "-c", str(self.conf), *args]

    def check(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=60,
                              check=False)

    def start(self, timeout: float = 30) -> Proxy:
        self.write()
        self.process = subprocess.Popen(self.command("-g", "daemon off;"),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited early:\n{self.log()}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.https_port), timeout=0.5).close()
                return self
            time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen on {self.https_port} in {timeout}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        try:
            return (self.run_dir / "error.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@contextlib.contextmanager
def running_proxy(backends: list[int], run_dir: Path,
                  https_port: int | None = None) -> Iterator[Proxy]:
    """nginx in front of ``backends``. Its https port can be chosen beforehand: the daphne
    processes behind it must trust its origin (``CSRF_TRUSTED_ORIGINS``), since nginx passes
    the host on without the port."""
    proxy = (Proxy(backends, run_dir) if https_port is None
             else Proxy(backends, run_dir, https_port=https_port)).start()
    try:
        yield proxy
    finally:
        proxy.stop()
