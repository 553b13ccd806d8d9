"""Reading a conversation as a person without JavaScript does: open the page, then press its
"Mark as read" (a GET writes nothing; with JavaScript the page sends ``seen`` instead)."""

import re

from django.test import Client
from django.urls import reverse

from messaging.models import Conversation


def read(client: Client, conversation: Conversation) -> str:
    html = client.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()
    found = re.search(r'class="inline mark-read">.*?name="seq" value="(\d+)"', html, re.S)
    assert found, "the page offers no 'Mark as read'"
    response = client.post(reverse("messaging:mark_read", args=[conversation.pk]),
                           {"seq": found.group(1)})
    assert response.status_code == 302
    return html
