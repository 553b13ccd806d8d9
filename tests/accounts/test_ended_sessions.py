"""A browser whose session was ended on the server is told to forget what it kept: the redirect
to the login page carries ``Clear-Site-Data: "cache", "storage"`` (offline copies, the service
worker and its caches). Someone who was never signed in gets a plain redirect."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
CLEARS = '"cache", "storage"'


def signed_in(username: str) -> Client:
    """A browser that logged in with the password form, as a person does."""
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("messaging:inbox")).status_code == 200
    return client


def sent_to_login(client: Client) -> str | None:
    """Open the inbox; it must redirect to the login page. The Clear-Site-Data header, if any."""
    response = client.get(reverse("messaging:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    return response.headers.get("Clear-Site-Data")


def test_a_leaver_s_browser_is_told_to_clear_its_copies(parent: User, admin: User) -> None:
    browser = signed_in("parent")
    office = Client()
    office.force_login(admin)
    answer = office.post(reverse("accounts:school_person_leave", args=[parent.pk]), {"now": "on"})
    assert answer.status_code == 302
    parent.refresh_from_db()
    assert not parent.is_active
    assert sent_to_login(browser) == CLEARS
    # Sent once: the cookie is gone with that answer, so the login page itself is plain.
    assert sent_to_login(browser) is None


def test_a_password_changed_elsewhere_clears_the_other_browser(parent: User) -> None:
    browser = signed_in("parent")
    parent.set_password("a-new-long-password-9")
    parent.save()
    assert sent_to_login(browser) == CLEARS


def test_a_session_whose_password_no_longer_matches_clears_too(parent: User) -> None:
    """The session is still in the store (the change bypassed the model), but Django no longer
    accepts it: the same answer."""
    browser = signed_in("parent")
    User.objects.filter(pk=parent.pk).update(password="!changed-outside")
    assert sent_to_login(browser) == CLEARS


def test_a_session_that_ran_out_clears_too(parent: User) -> None:
    browser = signed_in("parent")
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert sent_to_login(browser) == CLEARS


def test_a_visitor_who_never_signed_in_gets_a_plain_redirect(db: None) -> None:
    assert sent_to_login(Client()) is None
    # A session without a person in it (a failed login, say) is not an ended sign-in.
    visitor = Client()
    visitor.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    session = visitor.session
    session["seen"] = True
    session.save()
    assert sent_to_login(visitor) is None


def test_a_signed_in_person_is_not_told_to_clear_anything(parent: User) -> None:
    browser = signed_in("parent")
    response = browser.get(reverse("messaging:inbox"))
    assert response.status_code == 200 and "Clear-Site-Data" not in response.headers
