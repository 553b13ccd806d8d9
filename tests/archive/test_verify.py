"""verify_archive recomputes every chain and seal, and names the first bad record."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from archive import chain
from archive.entry import Entry
from archive.models import Chain, Payload, Record
from messaging.actions import send
from messaging.models import Conversation
from tests.archive.helpers import run, triggers_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(teacher: User, parent: User, conversation_4b: Conversation, conversation_5a: Conversation,
            parent_5a: User) -> list[Record]:
    for n in range(3):
        send.post_message(teacher, conversation_4b, f"Teacher note {n}")
        send.post_message(parent, conversation_4b, f"Parent reply {n}")
    send.post_message(parent_5a, conversation_5a, "Hello 5A")
    chain.seal()
    return [Record.objects.get(message_id=m, kind="message.posted")
            for m in conversation_4b.messages.order_by("seq").values_list("pk", flat=True)]


def verify(capsys: pytest.CaptureFixture[str]) -> str:
    call_command("verify_archive")
    return capsys.readouterr().out


def damaged(record_id: int) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("verify_archive")
    assert f"first bad record: {record_id}" in str(failure.value)
    return str(failure.value)


def test_an_intact_archive_verifies_with_a_count(history: list[Record],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = verify(capsys)
    total = Record.objects.count()
    assert f"archive intact: {total} records" in out
    assert "1 seals" in out


def test_a_changed_body_is_detected(history: list[Record]) -> None:
    target = history[2]
    with triggers_disabled():
        run("UPDATE archive_payload SET content = %s WHERE record_id = %s",
            ['{"body": "Something I never said", "message": 1, "seq": 3}', target.pk])
    assert "payload does not match" in damaged(target.pk)


def test_a_changed_sender_is_detected(history: list[Record], parent: User) -> None:
    target = history[0]  # posted by the teacher
    with triggers_disabled():
        run("UPDATE archive_record SET actor_id = %s WHERE id = %s", [parent.pk, target.pk])
    assert "record hash does not match" in damaged(target.pk)


def test_a_deleted_record_is_detected_naming_the_next_one(history: list[Record]) -> None:
    gone, following = history[1], history[2]
    with triggers_disabled():
        run("DELETE FROM archive_subject WHERE record_id = %s", [gone.pk])
        run("DELETE FROM archive_payload WHERE record_id = %s", [gone.pk])
        run("DELETE FROM archive_record WHERE id = %s", [gone.pk])
    assert "missing" in damaged(following.pk)


def test_a_deleted_last_record_is_detected_by_the_chain_head_and_the_seal(
        history: list[Record], capsys: pytest.CaptureFixture[str]) -> None:
    last = history[-1]
    with triggers_disabled():
        run("DELETE FROM archive_payload WHERE record_id = %s", [last.pk])
        run("DELETE FROM archive_record WHERE id = %s", [last.pk])
    with pytest.raises(CommandError) as failure:
        call_command("verify_archive")
    assert "chain head says" in str(failure.value) and last.scope in str(failure.value)


def test_a_reordered_pair_is_detected(history: list[Record]) -> None:
    first, second = history[3], history[4]
    with triggers_disabled():
        # Swap their positions (via a free position, to pass the unique constraint).
        run("UPDATE archive_record SET position = 100000 WHERE id = %s", [first.pk])
        run("UPDATE archive_record SET position = %s WHERE id = %s", [first.position, second.pk])
        run("UPDATE archive_record SET position = %s WHERE id = %s", [second.position, first.pk])
    assert "reordered" in damaged(second.pk)


def test_a_rewritten_chain_disagrees_with_the_seal(history: list[Record]) -> None:
    """Even a tamperer who recomputes every hash after the change is caught by the seal."""
    target = history[-1]
    forged = Record(
        scope=target.scope, position=target.position, kind=target.kind,
        created_at=target.created_at, actor_id=target.actor_id,
        subject_user_ids=target.subject_user_ids, subject_pupil_ids=target.subject_pupil_ids,
        message_id=target.message_id,
        payload_hash=chain.payload_digest({"body": "forged", "message": target.message_id}),
        prev_hash=target.prev_hash,
    )
    new_hash = chain.record_digest(forged)
    with triggers_disabled():
        run("UPDATE archive_payload SET content = %s WHERE record_id = %s",
            [f'{{"body": "forged", "message": {target.message_id}}}', target.pk])
        run("UPDATE archive_record SET payload_hash = %s, hash = %s WHERE id = %s",
            [forged.payload_hash, new_hash, target.pk])
        run("UPDATE archive_chain SET head_hash = %s WHERE scope = %s", [new_hash, target.scope])
    seal = Record.objects.get(scope="seal")
    message = damaged(seal.pk)
    assert "seal commits" in message


def test_the_seal_command_commits_every_chain(history: list[Record],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seal_archive")
    assert "sealed" in capsys.readouterr().out
    latest = Record.objects.filter(scope="seal").order_by("-position").first()
    assert latest is not None
    heads = latest.payload.content["heads"]
    assert history[0].scope in heads and "seal" not in heads
    newest = Record.objects.filter(scope=history[0].scope).order_by("-position").first()
    assert newest is not None
    assert heads[history[0].scope][1] == newest.hash


def test_the_periodic_seal_task_appends_a_seal(history: list[Record]) -> None:
    from archive.tasks import seal_archive

    seal_id = seal_archive.delay().get()
    assert Record.objects.get(pk=seal_id).scope == "seal"
    assert chain.verify().intact


def _append_unsalted(scope: str, payload: dict[str, object]) -> Record:
    """A record as the chain wrote them before payloads carried a salt."""
    head = Chain.objects.get(scope=scope)
    rec = Record(scope=scope, position=head.length + 1, kind="test.old", created_at=timezone.now(),
                 actor_id=None, subject_user_ids=[], subject_pupil_ids=[], message_id=None,
                 payload_hash=chain.payload_digest(payload), prev_hash=head.head_hash)
    rec.hash = chain.record_digest(rec)
    rec.save()
    Payload.objects.create(record=rec, content=payload)
    Chain.objects.filter(scope=scope).update(length=rec.position, head_hash=rec.hash)
    return rec


def test_every_new_payload_carries_its_own_salt_and_old_ones_still_verify(
        history: list[Record], conversation_4b: Conversation,
        capsys: pytest.CaptureFixture[str]) -> None:
    old = _append_unsalted(conversation_4b.scope, {"guessable": "yes"})
    with transaction.atomic():
        first = chain.record("test.same", scope=conversation_4b.scope, payload={"a": 1})
        second = chain.record("test.same", scope=conversation_4b.scope, payload={"a": 1})
        batch = chain.record_many("test.same", scope=conversation_4b.scope,
                                    entries=[Entry(payload={"a": 1})] * 3)
    salts = [Payload.objects.get(record=r).content[chain.SALT_KEY]
             for r in (first, second, *batch)]
    assert all(len(bytes.fromhex(s)) >= 16 for s in salts) and len(set(salts)) == 5
    # The same payload twice: different payload hashes, so its hash cannot be looked up.
    assert first.payload_hash != second.payload_hash
    assert first.payload_hash != chain.payload_digest({"a": 1})
    assert "salt" not in Payload.objects.get(record=old).content
    assert f"archive intact: {Record.objects.count()} records" in verify(capsys)
    # A salt changed afterwards is found like any other change.
    with triggers_disabled():
        run("UPDATE archive_payload SET content = %s WHERE record_id = %s",
            [json.dumps({"a": 1, chain.SALT_KEY: "00" * 16}), first.pk])
    assert "payload does not match its hash" in damaged(first.pk)
