import uuid

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from pytest_django.fixtures import Settings

from accounts.models import User
from messaging.actions import send
from messaging.models import Conversation, Message

pytestmark = pytest.mark.django_db


def url(conversation: Conversation) -> str:
    return reverse("messaging:conversation", args=[conversation.pk])


def test_pages_require_login(client: Client, conversation_4b: Conversation) -> None:
    for target in [reverse("messaging:inbox"), url(conversation_4b),
                   reverse("messaging:messages", args=[conversation_4b.pk])]:
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_inbox_lists_only_my_conversations(client: Client, parent: User, conversation_4b: Conversation,
                                               conversation_5a: Conversation) -> None:
    client.force_login(parent)
    page = client.get(reverse("messaging:inbox")).content.decode()
    assert "4B class group" in page
    assert "5A class group" not in page


def test_a_member_reads_the_latest_messages(client: Client, parent: User, teacher: User,
                                            conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "Swimming on <b>Tuesday</b>")
    client.force_login(parent)
    response = client.get(url(conversation_4b))
    page = response.content.decode()
    assert response.status_code == 200
    # Escaped, never rendered as markup.
    assert "Swimming on &lt;b&gt;Tuesday&lt;/b&gt;" in page
    assert "Ms de Vries" in page


def test_the_conversation_page_leads_to_its_member_list(client: Client, parent: User,
                                                        conversation_4b: Conversation) -> None:
    client.force_login(parent)
    page = client.get(url(conversation_4b)).content.decode()
    members = reverse("messaging:members", args=[conversation_4b.pk])
    assert f'href="{members}"' in page
    assert client.get(members).status_code == 200


def test_other_members_contact_details_are_not_shown(client: Client, parent: User, teacher: User,
                                                     conversation_4b: Conversation) -> None:
    send.post_message(parent, conversation_4b, "Hello")
    client.force_login(teacher)
    page = client.get(url(conversation_4b)).content.decode()
    assert parent.phone not in page and parent.email not in page
    history = client.get(reverse("messaging:messages", args=[conversation_4b.pk])).content.decode()
    assert parent.phone not in history and parent.email not in history


@pytest.mark.parametrize("persona", ["parent_5a", "admin", "dpo"])
def test_outsiders_get_404_not_403(client: Client, request: pytest.FixtureRequest,
                                   conversation_4b: Conversation, persona: str) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url(conversation_4b)).status_code == 404
    assert client.post(url(conversation_4b), {"body": "hi"}).status_code == 404
    assert client.get(reverse("messaging:messages", args=[conversation_4b.pk])).status_code == 404
    assert not Message.objects.exists()


def test_a_missing_conversation_looks_the_same_as_a_forbidden_one(client: Client, parent_5a: User,
                                                                  conversation_4b: Conversation) -> None:
    client.force_login(parent_5a)
    forbidden = client.get(url(conversation_4b))
    missing = client.get(reverse("messaging:conversation", args=[999999]))
    assert forbidden.status_code == missing.status_code == 404


def test_posting_through_the_form_stores_and_redirects(client: Client, parent: User,
                                                       conversation_4b: Conversation) -> None:
    client.force_login(parent)
    response = client.post(url(conversation_4b), {"body": "  Emma is ill today  "})
    assert response.status_code == 302
    assert Message.objects.get(conversation=conversation_4b).body == "Emma is ill today"


@override_settings(SCHOOLCHAT_MESSAGE_MAX_CHARS=20)
def test_a_too_long_post_is_refused_and_explained(client: Client, parent: User,
                                                  conversation_4b: Conversation) -> None:
    client.force_login(parent)
    response = client.post(url(conversation_4b), {"body": "x" * 25})
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_a_parent_cannot_post_in_announcements_over_http(client: Client, parent: User,
                                                         announcements: Conversation) -> None:
    client.force_login(parent)
    page = client.get(url(announcements)).content.decode()
    assert 'id="composer"' not in page
    response = client.post(url(announcements), {"body": "reply all"})
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_history_pages_back_by_seq(client: Client, parent: User, teacher: User, conversation_4b: Conversation,
                                   settings: Settings) -> None:
    settings.SCHOOLCHAT_HISTORY_PAGE = 3
    for n in range(7):
        send.post_message(teacher, conversation_4b, f"m{n}")
    client.force_login(parent)
    endpoint = reverse("messaging:messages", args=[conversation_4b.pk])
    latest = client.get(endpoint).json()["messages"]
    assert [m["body"] for m in latest] == ["m4", "m5", "m6"]
    older = client.get(endpoint, {"before_seq": latest[0]["seq"]}).json()["messages"]
    assert [m["body"] for m in older] == ["m1", "m2", "m3"]
    newer = client.get(endpoint, {"after_seq": 2}).json()["messages"]
    assert [m["body"] for m in newer] == ["m2", "m3", "m4"]
    assert client.get(endpoint, {"before_seq": "x"}).status_code == 400


def test_pages_carry_a_strict_content_security_policy(client: Client, parent: User,
                                                      conversation_4b: Conversation) -> None:
    client.force_login(parent)
    response = client.get(url(conversation_4b))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"


def test_a_reader_who_may_not_post_is_told_why_when_a_form_posts_anyway(
        client: Client, announcements: Conversation, parent: User) -> None:
    """A page left open from before (or another tab) posts the composer's form for a parent
    of an announcement channel: the 400 page says why, where the composer would be."""
    client.force_login(parent)
    response = client.post(reverse("messaging:conversation", args=[announcements.pk]),
                           {"body": "Can I come too?", "client_id": str(uuid.uuid4())})
    assert response.status_code == 400
    assert "You cannot post in this conversation." in response.content.decode()
    assert not Message.objects.filter(body="Can I come too?").exists()
