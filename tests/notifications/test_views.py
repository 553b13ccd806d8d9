"""The notifications page and the endpoints its script calls, on a committing database (the
logout's device removal runs after the commit, as in production)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import pytest
from django.http import HttpResponse, HttpResponseBase
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.models import Role, User
from messaging.models import Conversation
from notifications.models import Device, Mute
from tests.factories import SchoolFactory, UserFactory
from tests.notifications.conftest import post_and_publish, register
from tests.notifications.push_service import PushService

pytestmark = pytest.mark.django_db(transaction=True)

FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:131.0) Gecko/131.0 Firefox/131.0"


def signed_in(user: User) -> Client:
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=FIREFOX_ANDROID)
    client.force_login(user)
    client.get("/notifications/")  # sets the CSRF cookie
    return client


def post_json(client: Client, url: str, data: object) -> HttpResponseBase:
    return client.post(url, json.dumps(data), content_type="application/json",
                       HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)


def test_the_page_script_subscribes_this_browser(push_service: PushService, parent: User) -> None:
    client = signed_in(parent)
    fake = push_service.new_device()
    response = post_json(client, "/notifications/subscribe", fake.subscription())
    assert response.status_code == 201
    device = Device.objects.get(user=parent)
    assert device.endpoint == fake.endpoint
    assert device.label == "Firefox on Android"
    page = client.get("/notifications/")
    assert "Firefox on Android" in page.content.decode()
    assert fake.endpoint not in page.content.decode()  # the endpoint is a capability


def test_subscribing_needs_the_csrf_token_and_a_known_push_service(push_service: PushService,
                                                                   parent: User) -> None:
    client = signed_in(parent)
    fake = push_service.new_device()
    refused = client.post("/notifications/subscribe", json.dumps(fake.subscription()),
                          content_type="application/json")
    assert refused.status_code == 403
    inside = dict(fake.subscription(), endpoint="http://10.0.0.5/admin")
    assert post_json(client, "/notifications/subscribe", inside).status_code == 400
    broken = dict(fake.subscription(), keys={"p256dh": "abc", "auth": "x"})
    assert post_json(client, "/notifications/subscribe", broken).status_code == 400
    assert not Device.objects.exists()


def test_a_person_removes_their_own_device_and_nobody_elses(push_service: PushService, parent: User,
                                                            parent_5a: User) -> None:
    _fake, mine = register(push_service, parent)
    _other, theirs = register(push_service, parent_5a)
    client = signed_in(parent)
    token = client.cookies["csrftoken"].value
    assert client.post(f"/notifications/devices/{theirs.pk}/remove",
                       {"csrfmiddlewaretoken": token}).status_code == 404
    assert Device.objects.filter(pk=theirs.pk).exists()
    assert client.post(f"/notifications/devices/{mine.pk}/remove",
                       {"csrfmiddlewaretoken": token}).status_code == 302
    assert not Device.objects.filter(pk=mine.pk).exists()


def test_logging_out_removes_the_device_that_session_registered(push_service: PushService,
                                                                parent: User) -> None:
    client = signed_in(parent)
    fake = push_service.new_device()
    post_json(client, "/notifications/subscribe", fake.subscription())
    _elsewhere, other = register(push_service, parent, session_key="another-browser")
    client.post("/logout/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert list(Device.objects.filter(user=parent)) == [other]


def test_muting_only_a_conversation_one_can_read(conversation_4b: Conversation, conversation_5a: Conversation,
                                                 parent: User) -> None:
    client = signed_in(parent)
    token = client.cookies["csrftoken"].value
    response = client.post("/notifications/", {"csrfmiddlewaretoken": token,
                                              "conversation": conversation_5a.pk,
                                              "duration": "forever"})
    assert response.status_code == 200  # not a choice: the form refuses it
    assert not Mute.objects.exists()
    client.post("/notifications/", {"csrfmiddlewaretoken": token,
                                   "conversation": conversation_4b.pk, "duration": "8h"})
    assert Mute.objects.get(user=parent).conversation == conversation_4b
    assert "4B class group" in client.get("/notifications/").content.decode()


def test_the_service_worker_is_served_from_the_root_with_a_strict_policy(client: Client) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "showNotification" in response.content.decode()


def test_the_manifest_names_the_school(client: Client, parent: User) -> None:
    client.force_login(parent)
    data = json.loads(client.get("/manifest.webmanifest").content)
    assert data["name"] == "Test Primary"
    assert data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    assert any(icon.get("purpose") == "maskable" for icon in data["icons"])
    assert 'rel="manifest"' in client.get("/notifications/").content.decode()


def test_a_non_member_cannot_mute_or_unmute_from_outside(conversation_4b: Conversation,
                                                         conversation_5a: Conversation,
                                                         parent: User) -> None:
    client = signed_in(parent)
    token = client.cookies["csrftoken"].value
    for url in (f"/notifications/mutes/{conversation_5a.pk}/mute",
                f"/notifications/mutes/{conversation_5a.pk}/unmute",
                "/notifications/mutes/999999/mute"):
        assert client.post(url, {"csrfmiddlewaretoken": token, "duration": "week"}).status_code == 404
    assert not Mute.objects.exists()
    page = client.get(f"/c/{conversation_4b.pk}/").content.decode()
    assert f'action="/notifications/mutes/{conversation_4b.pk}/mute"' in page
    assert 'href="/notifications/"' in page


def test_another_account_cannot_take_over_a_device_by_its_endpoint(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, parent_5a: User) -> None:
    owner = signed_in(parent)
    fake = push_service.new_device()
    assert post_json(owner, "/notifications/subscribe", fake.subscription()).status_code == 201
    before = Device.objects.get(endpoint=fake.endpoint)
    elsewhere = SchoolFactory(name="Other Primary", slug="other-primary")
    stranger = UserFactory(username="stranger", role=Role.PARENT, school=elsewhere)
    own_keys = push_service.new_device().subscription()["keys"]
    for taker in (parent_5a, stranger):
        response = post_json(signed_in(taker), "/notifications/subscribe",
                             {"endpoint": fake.endpoint, "keys": own_keys})
        assert response.status_code == 409
        assert isinstance(response, HttpResponse)
        assert "registered with other keys" in json.loads(response.content)["error"]
    after = Device.objects.get(endpoint=fake.endpoint)
    assert (after.user, after.p256dh, after.auth, after.session_key) == (
        parent, before.p256dh, before.auth, before.session_key)
    post_and_publish(teacher, conversation_4b, "Hello 4B")
    assert len(push_service.for_device(fake)) == 1  # the owner's phone is still told


def test_the_same_subscription_registers_again_and_moves_to_whoever_holds_it(
        push_service: PushService, parent: User, parent_5a: User) -> None:
    fake = push_service.new_device()
    owner = signed_in(parent)
    assert post_json(owner, "/notifications/subscribe", fake.subscription()).status_code == 201
    assert post_json(owner, "/notifications/subscribe", fake.subscription()).status_code == 201
    assert Device.objects.get(endpoint=fake.endpoint).user == parent
    # A shared tablet: the next person signed in on it sends the same subscription, keys and all.
    shared = signed_in(parent_5a)
    assert post_json(shared, "/notifications/subscribe", fake.subscription()).status_code == 201
    assert Device.objects.get(endpoint=fake.endpoint).user == parent_5a
    assert Device.objects.count() == 1


def test_a_device_whose_push_service_is_no_longer_allowed_says_so(
        push_service: PushService, settings: Settings, parent: User) -> None:
    register(push_service, parent)
    client = signed_in(parent)
    assert "Not notified" not in client.get("/notifications/").content.decode()
    settings.SCHOOLCHAT_PUSH_SERVICES = ["https://push.services.example"]
    page = client.get("/notifications/").content.decode()
    assert "Firefox on Android" in page
    assert "Not notified: this server no longer uses the push service of this device." in page
