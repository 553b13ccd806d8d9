"""Driving the test provider without a browser: its login form with ``requests``, and the
relying party with Django's test client (whose host, ``testserver``, the provider's client
accepts as a redirect address)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

import requests
from django.test import Client

from tests.sso.provider.serve import PASSWORD

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def start(client: Client, slug: str = "test-primary", next_url: str = "") -> str:
    """The provider's authorization URL the relying party sends this browser to."""
    response = client.get(f"/sso/{slug}/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.content.decode()
    return str(response["Location"])


def sign_in_at_provider(authorize_url: str, username: str) -> str:
    """Sign in at the provider as ``username``; the path and query of the relying party's
    callback the provider redirects to (code and state)."""
    browser = requests.Session()
    answer = browser.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    login_url = urljoin(authorize_url, answer.headers["Location"])
    form = browser.get(login_url, timeout=10)
    token = CSRF.search(form.text)
    assert token, form.text
    next_url = unquote(urlsplit(login_url).query.split("next=", 1)[1])
    answer = browser.post(login_url, data={"csrfmiddlewaretoken": token.group(1),
                                           "username": username, "password": PASSWORD,
                                           "next": next_url},
                          headers={"Referer": login_url}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    answer = browser.get(urljoin(login_url, answer.headers["Location"]),
                         allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    assert callback.netloc == "testserver", answer.headers["Location"]
    return f"{callback.path}?{callback.query}"
