"""The chat speaks the member's language (Dutch and Russian besides English)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from messaging.actions import edit
from messaging.actions import send as send_actions
from messaging.models import Conversation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "send", "retracted"),
                         [("nl", "Versturen", "bericht ingetrokken"),
                          ("ru", "Отправить", "сообщение отозвано")])
def test_the_conversation_page_is_translated(client: Client, conversation_4b: Conversation, parent: User,
                                             teacher: User, language: str, send: str, retracted: str) -> None:
    message, _ = send_actions.post_message(teacher, conversation_4b, "oops")
    edit.retract_message(teacher, message)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(parent)
    html = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    assert send in html and retracted in html


def test_a_refusal_is_explained_in_dutch(client: Client, conversation_4b: Conversation, parent: User,
                                         teacher: User) -> None:
    message, _ = send_actions.post_message(teacher, conversation_4b, "not yours")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    client.force_login(parent)
    response = client.post(reverse("messaging:retract", args=[conversation_4b.pk, message.pk]))
    assert response.status_code == 403
    assert "U kunt alleen uw eigen berichten intrekken." in response.content.decode()


def test_the_language_chosen_at_the_foot_of_a_page_sticks(client: Client, conversation_4b: Conversation,
                                                          parent: User) -> None:
    client.force_login(parent)
    page = reverse("messaging:conversation", args=[conversation_4b.pk])
    html = client.get(page).content.decode()
    foot = html[html.index('<footer class="site-foot">'):]
    assert 'name="language"' in foot and f'value="{page}"' in foot
    response = client.post(reverse("set_language"), {"language": "ru", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert "Отправить" in client.get(page).content.decode()
