"""The provider's answer through Django's test client: who is signed in, who is refused and
with which sentence, and when Schoolchat still asks its own code. Against a real OpenID
provider (tests/sso/conftest.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
import requests
from authlib.integrations.django_client import DjangoOAuth2App
from django.test import Client
from django.urls import reverse
from joserfc.jwk import RSAKey

from accounts import ratelimit
from accounts.actions.twofactor import enrol_second_factor
from accounts.models import Role, School, User
from accounts.sessions import sessions_ended
from archive.models import Record
from records import export
from sso import signin
from tests.factories import UserFactory
from tests.sso.conftest import Provider, set_up_sign_on
from tests.sso.flows import sign_in_at_provider, start

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db


def signed_in(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def sign_in(client: Client, username: str) -> TestResponse:
    return client.get(sign_in_at_provider(start(client), username))


def text(response: TestResponse) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def teacher_at_provider(provider: Provider, school: School) -> User:
    provider.people(
        juf={"email": "Juf.Anna@school.example", "preferred_username": "juf", "amr": ["pwd"]},
        juf_mfa={"email": "juf.anna@school.example", "amr": ["pwd", "mfa"]},
        stranger={"email": "stranger@school.example", "amr": ["pwd"]},
        mother={"email": "mother@home.example", "amr": ["pwd"]},
        nomail={"preferred_username": "nomail"})
    return UserFactory(username="anna", role=Role.TEACHER, school=school,
                       email="juf.anna@school.example")


def test_a_teacher_signs_in_with_the_schools_account(
        client: Client, provider: Provider, school: School, teacher_at_provider: User) -> None:
    set_up_sign_on(school, provider)
    response = sign_in(client, "juf")
    assert response.status_code == 302 and response["Location"] == reverse("messaging:inbox")
    assert signed_in(client) == teacher_at_provider.pk
    assert client.get(reverse("messaging:inbox")).status_code == 200
    record = Record.objects.get(kind="sso.signed_in")
    assert record.scope == f"integrations:{school.pk}"
    assert record.actor_id == teacher_at_provider.pk


def test_the_page_asked_for_before_the_sign_in_is_where_it_ends(
        client: Client, provider: Provider, school: School, teacher_at_provider: User) -> None:
    set_up_sign_on(school, provider)
    callback = sign_in_at_provider(start(client, next_url="/people/"), "juf")
    assert client.get(callback)["Location"] == "/people/"


def test_by_username_when_the_school_says_so(
        client: Client, provider: Provider, school: School, teacher_at_provider: User) -> None:
    set_up_sign_on(school, provider, match="username")
    UserFactory(username="juf", role=Role.STAFF, school=school)
    sign_in(client, "juf")
    assert signed_in(client) == User.objects.get(username="juf").pk


@pytest.mark.parametrize(("who", "status", "sentence"), [
    ("stranger", 403, "No Schoolchat account of Test Primary matches the account you signed in "
                      "with at Test Provider."),
    ("mother", 403, "Only staff of Test Primary sign in with Test Provider. Parents and pupils "
                    "log in with their username and password."),
    ("nomail", 400, "Test Provider did not say which account you signed in with"),
])
def test_people_without_a_staff_account_are_refused_with_a_sentence(
        client: Client, provider: Provider, school: School, teacher_at_provider: User,
        who: str, status: int, sentence: str) -> None:
    UserFactory(username="mother", role=Role.PARENT, school=school, email="mother@home.example")
    set_up_sign_on(school, provider)
    response = sign_in(client, who)
    assert response.status_code == status
    assert sentence in text(response)
    assert signed_in(client) is None
    assert not User.objects.filter(email__iexact=f"{who}@school.example").exists()
    assert Record.objects.filter(kind="sso.refused").count() == 1


def test_an_account_closed_or_not_yet_in_use_is_not_opened(
        client: Client, provider: Provider, school: School, teacher_at_provider: User) -> None:
    set_up_sign_on(school, provider)
    teacher_at_provider.is_active = False  # invited, the invitation not yet accepted
    teacher_at_provider.save()
    response = sign_in(client, "juf")
    assert response.status_code == 403
    assert "Your Schoolchat account is not in use yet. Open the invitation" in text(response)
    teacher_at_provider.last_login = teacher_at_provider.date_joined  # in use once, then closed
    teacher_at_provider.save()
    response = client.get(sign_in_at_provider(start(client), "juf"))
    assert "This Schoolchat account is closed." in text(response)
    assert signed_in(client) is None


def test_an_account_of_another_school_is_not_matched(
        client: Client, provider: Provider, school: School, teacher_at_provider: User) -> None:
    other = School.objects.create(name="Other School", slug="other")
    teacher_at_provider.school = other
    teacher_at_provider.save()
    set_up_sign_on(school, provider)
    assert sign_in(client, "juf").status_code == 403
    assert signed_in(client) is None


def test_a_provider_that_answers_as_another_issuer_is_refused(
        client: Client, provider: Provider, school: School, teacher_at_provider: User) -> None:
    # The provider's discovery document names http://127.0.0.1:…/o; the school typed localhost.
    set_up_sign_on(school, provider, issuer=provider.issuer.replace("127.0.0.1", "localhost"))
    response = client.get("/sso/test-primary/")
    assert response.status_code == 400
    assert "answered as a different issuer than Test Primary set up" in text(response)
    assert signed_in(client) is None


def test_a_replayed_answer_and_a_replayed_code_are_refused(
        client: Client, provider: Provider, school: School, teacher_at_provider: User) -> None:
    set_up_sign_on(school, provider)
    callback = sign_in_at_provider(start(client), "juf")
    assert client.get(callback).status_code == 302
    client.logout()
    # The same answer again: its state was used up by the first.
    response = client.get(callback)
    assert response.status_code == 400
    assert "This sign-in has expired or was already used." in text(response)
    # The first answer's code inside a fresh sign-in's state: the provider refuses the code.
    other = Client()
    fresh = sign_in_at_provider(start(other), "juf")
    state = fresh.split("state=", 1)[1].split("&", 1)[0]
    code = callback.split("code=", 1)[1].split("&", 1)[0]
    response = other.get(f"{fresh.split('?', 1)[0]}?code={code}&state={state}")
    assert response.status_code == 400
    assert "Test Provider did not accept this sign-in" in text(response)
    assert signed_in(other) is None and signed_in(client) is None


def test_an_exchange_without_the_pkce_verifier_is_refused(
        client: Client, provider: Provider, school: School, teacher_at_provider: User) -> None:
    set_up_sign_on(school, provider)
    callback = sign_in_at_provider(start(client), "juf")
    session = client.session
    for key, value in session.items():
        if key.startswith("_state_"):
            del value["data"]["code_verifier"]
            session[key] = value
    session.save()
    response = client.get(callback)
    assert response.status_code == 400
    assert "Test Provider did not accept this sign-in" in text(response)
    assert signed_in(client) is None


def test_the_authorization_request_carries_an_s256_challenge_state_and_nonce(
        client: Client, provider: Provider, school: School) -> None:
    set_up_sign_on(school, provider)
    url = start(client)
    assert url.startswith(f"{provider.issuer}/authorize/")
    for part in ("code_challenge_method=S256", "code_challenge=", "state=", "nonce=",
                 "response_type=code", "scope=openid"):
        assert part in url


@pytest.fixture
def strict(school: School, teacher_at_provider: User) -> str:
    school.require_staff_2fa = True
    school.save()
    secret = pyotp.random_base32()
    enrol_second_factor(teacher_at_provider, secret)
    return secret


def test_the_schoolchat_code_is_still_asked_unless_the_school_trusts_the_provider(
        client: Client, provider: Provider, school: School, teacher_at_provider: User,
        strict: str) -> None:
    set_up_sign_on(school, provider, trust=False)
    response = sign_in(client, "juf_mfa")
    assert response["Location"] == reverse("accounts:2fa_verify")
    assert signed_in(client) is None
    code = pyotp.TOTP(strict).at(time.time() + 30)
    response = client.post(reverse("accounts:2fa_verify"), {"code": code})
    assert response.status_code == 302 and signed_in(client) == teacher_at_provider.pk
    assert Record.objects.get(kind="sso.signed_in").payload.content["second_factor"] == "schoolchat"


def test_a_trusted_providers_second_factor_is_enough(
        client: Client, provider: Provider, school: School, teacher_at_provider: User,
        strict: str) -> None:
    set_up_sign_on(school, provider, trust=True)
    response = sign_in(client, "juf_mfa")
    assert response["Location"] == reverse("messaging:inbox")
    assert signed_in(client) == teacher_at_provider.pk


def test_a_trusted_provider_without_a_second_factor_still_means_the_code(
        client: Client, provider: Provider, school: School, teacher_at_provider: User,
        strict: str) -> None:
    set_up_sign_on(school, provider, trust=True)
    response = sign_in(client, "juf")  # amr: pwd only
    assert response["Location"] == reverse("accounts:2fa_verify")
    assert signed_in(client) is None


def test_logout_ends_the_session(client: Client, provider: Provider, school: School,
                                 teacher_at_provider: User) -> None:
    set_up_sign_on(school, provider)
    sign_in(client, "juf")
    assert signed_in(client)
    client.post(reverse("logout"))
    assert signed_in(client) is None
    assert client.get(reverse("messaging:inbox"))["Location"].startswith(reverse("login"))


def test_a_paused_account_is_paused_for_the_schools_account_too(
        client: Client, provider: Provider, school: School, teacher_at_provider: User) -> None:
    set_up_sign_on(school, provider)
    for _ in range(5):
        client.post(reverse("login"), {"username": "anna", "password": "wrong"})
    response = sign_in(client, "juf")
    assert response.status_code == 429
    assert signed_in(client) is None


def test_a_school_without_sign_on_has_no_such_page(client: Client, school: School) -> None:
    assert client.get("/sso/test-primary/").status_code == 404
    assert client.get("/sso/test-primary/callback/?code=x&state=y").status_code == 404


def test_logout_closes_the_sessions_sockets_as_after_a_password(
        client: Client, provider: Provider, school: School, teacher_at_provider: User,
        django_capture_on_commit_callbacks: Any) -> None:
    set_up_sign_on(school, provider)
    sign_in(client, "juf")
    key = client.session.session_key
    ended: list[dict[str, Any]] = []

    def heard(sender: Any, **kwargs: Any) -> None:
        ended.append(kwargs)

    sessions_ended.connect(heard)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("logout"))
    finally:
        sessions_ended.disconnect(heard)
    assert [(e["user_id"], e["session_key"], e["reason"]) for e in ended] == [
        (teacher_at_provider.pk, key, "logout")]


def test_the_sign_in_is_in_the_persons_own_export(
        client: Client, provider: Provider, school: School, teacher_at_provider: User) -> None:
    set_up_sign_on(school, provider)
    sign_in(client, "juf")
    events = export.collect(user=teacher_at_provider)["events"]
    assert "sso.signed_in" in [event["kind"] for event in events]


@pytest.mark.parametrize(("claims", "used"), [
    ({"amr": ["pwd", "mfa"]}, True),
    ({"amr": ["pwd", "otp"]}, True),
    ({"amr": ["pwd"]}, False),
    ({"amr": "mfa"}, False),  # not a list: not believed
    ({"acr": "https://refeds.org/profile/mfa"}, True),
    ({"acr": "urn:mace:incommon:iap:silver"}, False),
    ({}, False),
])
def test_what_counts_as_the_providers_second_factor(claims: dict[str, Any], used: bool) -> None:
    assert signin.provider_used_second_factor(claims) is used


def test_an_id_token_not_signed_by_the_providers_key_is_refused(
        client: Client, provider: Provider, school: School, teacher_at_provider: User,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys are fetched from the provider's jwks_uri; here they are swapped for another
    key under the same key id, as a forged token would need."""
    set_up_sign_on(school, provider)
    real = requests.get(f"{provider.issuer}/.well-known/jwks.json", timeout=10).json()
    kid = real["keys"][0]["kid"]
    forged = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})
    monkeypatch.setattr(DjangoOAuth2App, "fetch_jwk_set",
                        lambda self, force=False: {"keys": [forged.as_dict(private=False)]})
    response = sign_in(client, "juf")
    assert response.status_code == 400
    assert "The answer from Test Provider could not be verified, so nobody is signed in." in text(
        response)
    assert signed_in(client) is None


def test_starting_too_often_from_one_address_is_slowed_down(
        client: Client, provider: Provider, school: School,
        monkeypatch: pytest.MonkeyPatch) -> None:
    set_up_sign_on(school, provider)
    monkeypatch.setitem(ratelimit.ADDRESS_KINDS, "sso_sign_in", ratelimit.Limit(2, 1))
    assert [client.get("/sso/test-primary/").status_code for _ in range(3)] == [302, 302, 429]
