"""Sign-in through a real daphne process: the client address daphne gives Django, and a
trusted proxy's X-Forwarded-For, decide whose tries are paused."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from email.message import Message
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.live import daphne_servers


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, path: str, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=20) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def log_in(self, username: str, password: str,
               forwarded_for: str | None = None) -> tuple[int, Message, str]:
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        _, _, page = self.request("/login/", headers=headers)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match is not None
        token = match.group(1)
        return self.request("/login/", {"csrfmiddlewaretoken": token, "username": username,
                                        "password": password}, headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture
def parent(transactional_db: None) -> User:
    return UserFactory(username="livparent", role="parent")


def test_daphne_gives_django_the_peer_address(parent: User, tmp_path: Path) -> None:
    with daphne_servers(1, tmp_path) as (server,):
        status, _, _ = Browser(server.url).log_in("livparent", "wrong",
                                                  forwarded_for="203.0.113.5")
    assert status == 200
    # No trusted proxy configured: the header is ignored and the TCP peer is the address.
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


def test_behind_a_trusted_proxy_a_stranger_pauses_only_their_own_address(parent: User,
                                                                         tmp_path: Path) -> None:
    with daphne_servers(1, tmp_path,
                        extra_env={"SCHOOLCHAT_TRUSTED_PROXIES": "127.0.0.1"}) as (server,):
        stranger = Browser(server.url)
        statuses = [stranger.log_in("livparent", "wrong", "203.0.113.5")[0] for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        assert stranger.log_in("livparent", PASSWORD, "203.0.113.5")[0] == 429
        # Through the same proxy, the parent at home logs in.
        status, headers, _ = Browser(server.url).log_in("livparent", PASSWORD, "198.51.100.7")
        assert status == 302 and headers["Location"] == "/"
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    # The served login's session ends after eight idle hours, as the store says.
    (session,) = Session.objects.filter(expire_date__gt=timezone.now() + timedelta(hours=1))
    left = (session.expire_date - timezone.now()).total_seconds()
    assert 8 * 3600 - 120 < left <= 8 * 3600
