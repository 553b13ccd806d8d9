"""Sessions end after 8 idle hours and after 7 days however active; the end is in the store."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from accounts import session_expiry
from accounts.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
HOUR = 3600


def signed_in(client: Client, username: str = "parent") -> Session:
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return Session.objects.get(session_key=client.session.session_key)


def expires_in(session: Session) -> float:
    return (Session.objects.get(pk=session.pk).expire_date - timezone.now()).total_seconds()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """Move the middleware's clock; the store's own check uses the real one."""
    state = {"offset": 0.0}
    real = session_expiry._now
    monkeypatch.setattr(session_expiry, "_now", lambda: real() + state["offset"])
    return state


def test_a_login_lasts_eight_idle_hours_in_the_store(parent: User) -> None:
    session = signed_in(Client())
    assert 8 * HOUR - 60 < expires_in(session) <= 8 * HOUR


def test_an_idle_session_is_over(parent: User) -> None:
    client = Client()
    session = signed_in(client)
    # Eight hours pass without a request: the store no longer hands the session out.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("messaging:inbox")).status_code == 302


def test_activity_pushes_the_end_forward_at_most_once_a_minute(
        parent: User, clock: dict[str, float], django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    client = Client()
    session = signed_in(client)
    first = Session.objects.get(pk=session.pk).expire_date
    clock["offset"] = 30
    client.get(reverse("messaging:inbox"))
    assert Session.objects.get(pk=session.pk).expire_date == first  # no write
    clock["offset"] = 2 * HOUR
    client.get(reverse("messaging:inbox"))
    moved = Session.objects.get(pk=session.pk).expire_date
    assert timedelta(hours=2) <= moved - first < timedelta(hours=2, seconds=5)


def test_however_active_a_login_ends_after_seven_days(parent: User, clock: dict[str, float]) -> None:
    client = Client()
    session = signed_in(client)
    clock["offset"] = 7 * 24 * HOUR - HOUR  # active all week, one hour before the cap
    client.get(reverse("messaging:inbox"))
    # The end is the cap, seven days after the login (an hour from the moved clock's now),
    # not eight idle hours on.
    assert 7 * 24 * HOUR - 60 < expires_in(session) <= 7 * 24 * HOUR


def test_a_new_login_starts_a_new_week(parent: User, clock: dict[str, float]) -> None:
    client = Client()
    signed_in(client)
    client.logout()
    clock["offset"] = 8 * 24 * HOUR
    session = signed_in(client)
    assert expires_in(session) > 8 * 24 * HOUR


@pytest.mark.django_db(transaction=True)
def test_when_the_sockets_hear_of_a_logout_the_page_behind_them_asks_to_sign_in(
        parent: User) -> None:
    """The socket of a page closes on the announcement and the page reloads at once; that
    reload must find the session gone, or it renders the chat again for a signed-out person."""
    from accounts.sessions import sessions_ended
    client = Client()
    session = signed_in(client)
    pages: list[int] = []

    def reload_page(sender: object, **kwargs: object) -> None:
        reloading = Client()
        reloading.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        response = reloading.get(reverse("messaging:inbox"))
        pages.append(response.status_code)
        assert response.status_code == 302 and reverse("login") in response["Location"]

    sessions_ended.connect(reload_page, dispatch_uid="test.reload_page")
    try:
        assert client.post(reverse("logout")).status_code == 302
    finally:
        sessions_ended.disconnect(dispatch_uid="test.reload_page")
    assert pages == [302]
    assert not Session.objects.filter(session_key=session.session_key).exists()
