"""Setting up a school's sign-on: the admin's page, the operator's command, what is archived,
the stored secret, and what the login page offers."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from accounts.models import School, User
from archive.models import Record
from sso import actions, secret_box
from sso.models import SsoProvider

pytestmark = pytest.mark.django_db

FORM = {"name": "Microsoft", "issuer": "https://login.microsoftonline.com/tenant/v2.0/",
        "client_id": "abc-123", "client_secret": "the-secret", "match": "email",
        "trust_provider_2fa": "on", "enabled": "on"}


def page_text(client: Client, url: str) -> str:
    return " ".join(client.get(url).content.decode().split())


def test_the_admin_sets_up_sign_on_and_the_secret_is_never_shown_again(
        client: Client, admin: User, school: School) -> None:
    client.force_login(admin)
    page = page_text(client, reverse("sso:settings"))
    assert "http://testserver/sso/test-primary/callback/" in page
    response = client.post(reverse("sso:settings"), FORM)
    assert response.status_code == 302
    provider = SsoProvider.objects.get(school=school)
    assert provider.issuer == "https://login.microsoftonline.com/tenant/v2.0"
    assert provider.trust_provider_2fa and provider.enabled
    assert "the-secret" not in provider.client_secret_sealed
    assert secret_box.unseal(provider.client_secret_sealed) == "the-secret"
    page = page_text(client, reverse("sso:settings"))
    assert "the-secret" not in page
    assert "A secret is stored; it is never shown. Leave this empty to keep it." in page
    # Saved again without a secret: the stored one stays.
    client.post(reverse("sso:settings"), {**FORM, "client_secret": "", "name": "Entra"})
    provider.refresh_from_db()
    assert provider.name == "Entra"
    assert secret_box.unseal(provider.client_secret_sealed) == "the-secret"
    records = list(Record.objects.filter(kind="sso.configured").order_by("position"))
    assert [r.scope for r in records] == [f"integrations:{school.pk}"] * 2
    assert [r.payload.content["secret_changed"] for r in records] == [True, False]
    assert all("the-secret" not in str(r.payload.content) for r in records)
    assert records[0].actor_id == admin.pk


@pytest.mark.parametrize(("change", "sentence"), [
    ({"issuer": "http://login.example/"}, "The issuer must be an https address"),
    ({"client_secret": ""}, "Give the client secret."),
    ({"match": "phone"}, "Select a valid choice."),
])
def test_a_wrong_set_up_is_refused_with_a_sentence_and_keeps_what_was_typed(
        client: Client, admin: User, school: School, change: dict[str, str],
        sentence: str) -> None:
    client.force_login(admin)
    response = client.post(reverse("sso:settings"), {**FORM, **change})
    assert response.status_code == 400
    text = " ".join(response.content.decode().split())
    assert sentence in text and 'value="abc-123"' in text
    assert not SsoProvider.objects.exists() and not Record.objects.filter(
        kind="sso.configured").exists()


def test_switching_it_off_deletes_the_settings_and_is_archived(
        client: Client, admin: User, school: School) -> None:
    client.force_login(admin)
    client.post(reverse("sso:settings"), FORM)
    client.post(reverse("sso:remove"))
    assert not SsoProvider.objects.exists()
    assert Record.objects.filter(kind="sso.removed", scope=f"integrations:{school.pk}").exists()


def test_the_operator_sets_it_up_from_the_command_line(school: School) -> None:
    out = io.StringIO()
    call_command("school_sso", "test-primary", "--issuer", "https://accounts.google.com",
                 "--client-id", "cid", "--client-secret", "-", "--match", "email",
                 "--trust-provider-2fa", "--name", "Google", stdin=io.StringIO("from-stdin\n"),
                 stdout=out)
    provider = SsoProvider.objects.get(school=school)
    assert secret_box.unseal(provider.client_secret_sealed) == "from-stdin"
    assert provider.trust_provider_2fa and provider.match == "email"
    assert "sign in with Google" in out.getvalue() and "from-stdin" not in out.getvalue()
    record = Record.objects.get(kind="sso.configured")
    assert record.actor_id is None and record.payload.content["by"] == "operator"
    # Later: only what changes is given; the rest, the secret included, stays.
    call_command("school_sso", "test-primary", "--match", "username", "--off", stdout=out)
    provider.refresh_from_db()
    assert provider.match == "username" and not provider.enabled and provider.name == "Google"
    assert secret_box.unseal(provider.client_secret_sealed) == "from-stdin"
    call_command("school_sso", "test-primary", "--remove", stdout=out)
    assert not SsoProvider.objects.exists()


def test_the_command_refuses_what_it_cannot_use(school: School) -> None:
    with pytest.raises(CommandError, match="no school"):
        call_command("school_sso", "nowhere", "--issuer", "https://x.example")
    with pytest.raises(CommandError, match="https"):
        call_command("school_sso", "test-primary", "--issuer", "http://x.example",
                     "--client-id", "c", "--client-secret", "s")
    with pytest.raises(CommandError, match="client secret"):
        call_command("school_sso", "test-primary", "--issuer", "https://x.example",
                     "--client-id", "c")
    assert not SsoProvider.objects.exists()


def test_a_rotated_secret_key_makes_the_stored_secret_unreadable(settings: Settings) -> None:
    sealed = secret_box.seal("s")
    settings.SECRET_KEY = "another-key-" + "k" * 50
    assert secret_box.unseal(sealed) is None
    settings.SECRET_KEY_FALLBACKS = ["django-insecure-embedded-default-do-not-use-in-production"]
    assert secret_box.unseal(sealed) == "s"


def _offer(school: School, **extra: str) -> None:
    actions.configure(None, school, actions.Settings(
        name=extra.get("name", "Test Provider"), issuer="https://id.example", client_id="c",
        client_secret="s", match="email", trust_provider_2fa=False))


def test_the_login_page_offers_the_schools_provider(client: Client, school: School) -> None:
    assert "Sign in with" not in page_text(client, reverse("login"))
    _offer(school)
    text = page_text(client, reverse("login") + "?next=/people/")
    assert "Sign in with Test Provider" in text and "For staff of Test Primary." in text
    assert 'href="/sso/test-primary/?next=%2Fpeople%2F"' in text


def test_with_several_schools_the_login_page_asks_which(client: Client, school: School) -> None:
    _offer(school)
    _offer(School.objects.create(name="Other School", slug="other"), name="Google")
    text = page_text(client, reverse("login"))
    assert "Staff: sign in with your school&#x27;s account" in text
    choose = page_text(client, reverse("sso:choose"))
    assert "Other School: sign in with Google" in choose
    assert "Test Primary: sign in with Test Provider" in choose
    # A school named in the address, or the one this browser used before, is offered at once.
    assert "Sign in with Google" in page_text(client, reverse("login") + "?school=other")
    client.cookies["schoolchat_sso_school"] = "test-primary"
    assert "Sign in with Test Provider" in page_text(client, reverse("login"))
