"""Per-person rate limits: a burst, then a sustained rate, for posting (websocket and HTTP
alike), uploads and invitation links; each school can set its own."""

import uuid

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import ratelimit
from accounts.models import School, User
from messaging.models import Conversation, Message
from tests.conftest import require_service
from tests.messaging.test_attachments import upload
from tests.messaging.test_consumer import connect

pytestmark = pytest.mark.django_db


def test_gcra_allows_the_burst_then_the_sustained_rate() -> None:
    limit = ratelimit.Limit(burst=20, per_minute=60)
    allowed, tat, retry = ratelimit.gcra(0.0, 100.0, limit, 25)
    assert allowed == 20
    assert retry == pytest.approx(1.0)
    # One more a second afterwards, not before.
    assert ratelimit.gcra(tat, 100.5, limit, 1)[0] == 0
    assert ratelimit.gcra(tat, 101.0, limit, 1)[0] == 1
    # After a quiet spell the whole burst is back, never more.
    assert ratelimit.gcra(tat, 1000.0, limit, 30)[0] == 20


@pytest.mark.skipif(not settings.REDIS_URL, reason="the shared budget lives in Redis")
def test_processes_share_one_budget_through_redis() -> None:
    from urllib.parse import urlparse

    address = urlparse(settings.REDIS_URL)
    require_service("Redis", address.hostname or "127.0.0.1", address.port or 6379)
    first, second = ratelimit.RedisStore(settings.REDIS_URL), ratelimit.RedisStore(
        settings.REDIS_URL)
    key = f"{settings.SCHOOLCHAT_REDIS_PREFIX}rate:test:{uuid.uuid4()}"
    limit = ratelimit.Limit(burst=5, per_minute=1)
    assert first.take(key, limit, 3)[0] == 3
    allowed, retry = second.take(key, limit, 3)
    assert allowed == 2 and 55 < retry <= 60
    assert first.take(key, limit, 1)[0] == 0


@pytest.mark.django_db(transaction=True)
async def test_a_socket_sending_too_fast_is_refused_past_the_burst(conversation_4b: Conversation,
                                                                   parent: User) -> None:
    # The default burst of 20 with a sustained rate of one a minute: a busy machine taking
    # over a second for the 25 sends must not earn the sender a 21st.
    await database_sync_to_async(School.objects.filter(pk=conversation_4b.school_id).update)(
        posts_per_minute=1)
    communicator = await connect(parent)
    client_ids = [str(uuid.uuid4()) for _ in range(25)]
    for client_id in client_ids:
        await communicator.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                                         "body": "spam", "client_id": client_id})
    answers = [await communicator.receive_json_from(timeout=10) for _ in client_ids]
    acked = [a for a in answers if a["type"] == "ack"]
    refused = [a for a in answers if a["type"] == "error"]
    assert len(acked) == 20 and len(refused) == 5
    for answer in refused:
        assert answer["code"] == "rate_limited" and answer["retry_after"] >= 1
        assert answer["client_id"] in client_ids and "too fast" in answer["message"]
    stored = await database_sync_to_async(
        lambda: set(Message.objects.values_list("client_id", flat=True)))()
    assert {str(c) for c in stored} == {a["client_id"] for a in acked}
    await communicator.disconnect()


# Each test sets a sustained rate of one a minute beside its burst: with the defaults (one a
# second for posts, one in 10 s for uploads, one in 2 s for links) a slow machine's requests
# earn a new allowance between them, and the refusal the test waits for does not come.
def test_the_http_form_shares_the_budget_and_answers_429(client: Client, conversation_4b: Conversation,
                                                         parent: User) -> None:
    School.objects.filter(pk=conversation_4b.school_id).update(post_burst=3, posts_per_minute=1)
    client.force_login(parent)
    url = reverse("messaging:conversation", args=[conversation_4b.pk])
    statuses = [client.post(url, {"body": f"m{n}", "client_id": str(uuid.uuid4())}).status_code
                for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    refused = client.post(url, {"body": "again", "client_id": str(uuid.uuid4())})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "You are going too fast" in refused.content.decode()
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == [
        "m0", "m1", "m2"]


def test_another_persons_budget_is_their_own(client: Client, conversation_4b: Conversation, parent: User,
                                             teacher: User) -> None:
    School.objects.filter(pk=conversation_4b.school_id).update(post_burst=1, posts_per_minute=1)
    url = reverse("messaging:conversation", args=[conversation_4b.pk])
    for person in (parent, teacher):
        client.force_login(person)
        assert client.post(url, {"body": "hi", "client_id": str(uuid.uuid4())}).status_code == 302


def test_uploads_are_limited(client: Client, conversation_4b: Conversation, teacher: User) -> None:
    School.objects.filter(pk=conversation_4b.school_id).update(upload_burst=2, uploads_per_minute=1)
    client.force_login(teacher)
    statuses = [upload(client, conversation_4b, b"%PDF-1.4").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    refused = upload(client, conversation_4b, b"%PDF-1.4")
    assert refused.json()["code"] == "rate_limited" and refused.json()["retry_after"] >= 1


def test_invitation_links_are_limited(client: Client, school: School, admin: User, parent: User,
                                      parent_5a: User) -> None:
    School.objects.filter(pk=school.pk).update(invitation_burst=1, invitations_per_minute=1)
    client.force_login(admin)
    first = client.post(reverse("accounts:school_person_link", args=[parent.pk]))
    second = client.post(reverse("accounts:school_person_link", args=[parent_5a.pk]))
    assert first.status_code == 200 and second.status_code == 429
    assert "You are going too fast" in second.content.decode()
    assert parent_5a.invitations.count() == 0


def test_the_policies_page_sets_the_limits(client: Client, school: School, admin: User) -> None:
    client.force_login(admin)
    page = client.get(reverse("accounts:school_policies")).content.decode()
    assert "messages a person may send at once" in page.lower()
