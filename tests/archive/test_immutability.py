"""The database itself refuses to rewrite history, on SQLite and on PostgreSQL alike."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from archive import chain
from archive.models import PURGE_KIND, Payload, PurgedPayload, Record, Subject
from messaging.actions import send
from messaging.models import Conversation
from tests.archive.helpers import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(teacher: User, conversation_4b: Conversation) -> Record:
    message, _ = send.post_message(teacher, conversation_4b, "Swimming on Tuesday")
    return Record.objects.get(message_id=message.pk, kind="message.posted")


@pytest.mark.parametrize("sql", [
    "UPDATE archive_record SET kind = 'message.forged' WHERE id = %s",
    "UPDATE archive_record SET actor_id = NULL WHERE id = %s",
    "DELETE FROM archive_record WHERE id = %s",
    "UPDATE archive_payload SET content = '{\"body\": \"forged\"}' WHERE record_id = %s",
    "DELETE FROM archive_payload WHERE record_id = %s",
    "UPDATE archive_subject SET user_id = NULL WHERE record_id = %s",
    "DELETE FROM archive_subject WHERE record_id = %s",
])
def test_the_database_refuses_to_change_a_record(posted: Record, sql: str) -> None:
    with pytest.raises(IntegrityError):
        run(sql, [posted.pk])
    posted.refresh_from_db()
    assert posted.kind == "message.posted"
    assert Payload.objects.get(record=posted).content["body"] == "Swimming on Tuesday"
    assert Subject.objects.filter(record=posted).exists()


def test_a_payload_without_a_purge_record_cannot_be_deleted_even_with_an_entry(posted: Record) -> None:
    # A purge entry pointing at an ordinary record does not count: it must be a purge record.
    run("INSERT INTO archive_purgedpayload (record_id, purge_record_id) VALUES (%s, %s)",
        [posted.pk, posted.pk])
    with pytest.raises(IntegrityError):
        run("DELETE FROM archive_payload WHERE record_id = %s", [posted.pk])


def test_a_payload_listed_by_a_purge_record_can_be_deleted(posted: Record) -> None:
    with transaction.atomic():
        purge = chain.record(PURGE_KIND, scope="retention", payload={"records": [posted.pk]})
    PurgedPayload.objects.create(record=posted, purge_record=purge)
    run("DELETE FROM archive_payload WHERE record_id = %s", [posted.pk])
    assert not Payload.objects.filter(record=posted).exists()
    # ...and the purge entry itself is as permanent as the records.
    with pytest.raises(IntegrityError):
        run("DELETE FROM archive_purgedpayload WHERE record_id = %s", [posted.pk])
    with pytest.raises(IntegrityError):
        run("UPDATE archive_purgedpayload SET purge_record_id = %s WHERE record_id = %s",
            [posted.pk, posted.pk])


def test_one_unlisted_payload_refuses_the_whole_delete(posted: Record, teacher: User,
                                                       conversation_4b: Conversation) -> None:
    """The check covers every row of a multi-row DELETE (per statement on PostgreSQL)."""
    second, _ = send.post_message(teacher, conversation_4b, "Bring a towel")
    other = Record.objects.get(message_id=second.pk, kind="message.posted")
    with transaction.atomic():
        purge = chain.record(PURGE_KIND, scope="retention", payload={"records": [posted.pk]})
    PurgedPayload.objects.create(record=posted, purge_record=purge)
    with pytest.raises(IntegrityError):
        run("DELETE FROM archive_payload WHERE record_id IN (%s, %s)", [posted.pk, other.pk])
    assert Payload.objects.filter(record__in=[posted, other]).count() == 2
    run("DELETE FROM archive_payload WHERE record_id = %s", [posted.pk])
    assert list(Payload.objects.filter(record__in=[posted, other])
                .values_list("record_id", flat=True)) == [other.pk]


def test_the_orm_cannot_delete_records_either(posted: Record) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Record.objects.filter(pk=posted.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Record.objects.filter(pk=posted.pk).update(kind="x")
    assert Record.objects.filter(pk=posted.pk, kind="message.posted").exists()



@pytest.mark.django_db(transaction=True)
def test_flushing_the_whole_database_still_works(teacher: User, conversation_4b: Conversation) -> None:
    """The test runner (and `manage.py flush`) empties every table, the archive included."""
    from django.core.management import call_command

    send.post_message(teacher, conversation_4b, "Hello")
    call_command("flush", interactive=False, verbosity=0)
    assert not Record.objects.exists()
    assert not Payload.objects.exists()
