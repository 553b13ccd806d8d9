"""A real OpenID provider for the tests: django-oauth-toolkit in its own process on loopback.

One provider per test session (per worker), with a fresh RSA key and SQLite file; each test
says who may sign in there (``provider.people``) and sets up the school's sign-on to it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.models import School
from sso import actions
from sso.models import SsoProvider
from tests.live import ROOT, free_port
from tests.sso.provider.serve import CLIENT_ID, CLIENT_SECRET


@dataclass
class Provider:
    url: str
    people_file: Path
    log_path: Path

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def people(self, **claims: dict[str, Any]) -> None:
        """Who can sign in at the provider from now on: username -> claims."""
        self.people_file.write_text(json.dumps(claims))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def _rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@contextlib.contextmanager
def running_provider(folder: Path) -> Iterator[Provider]:
    """The provider's process for as long as the block runs, its files in ``folder``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    people_file = folder / "people.json"
    people_file.write_text("{}")
    log_path = folder / "provider.log"
    env = {
        "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1",
        "PROVIDER_DB": str(folder / "provider.sqlite3"), "PROVIDER_ISSUER": f"{url}/o",
        "PROVIDER_RSA_KEY": _rsa_pem(), "PROVIDER_PEOPLE": str(people_file),
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "tests.sso.provider.serve", str(port)],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    found = Provider(url=url, people_file=people_file, log_path=log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the test provider exited:\n{found.log()}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the test provider did not listen:\n{found.log()}")
            time.sleep(0.1)
        yield found
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("provider")) as running:
        yield running


def set_up_sign_on(school: School, provider: Provider, *, issuer: str | None = None,
                   match: str = "email", trust: bool = False) -> SsoProvider:
    return actions.configure(None, school, actions.Settings(
        name="Test Provider", issuer=issuer or provider.issuer, client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET, match=match, trust_provider_2fa=trust))
