"""Retention with the clock moved forward: expired content is really gone, held content stays,
every purge is on record, and the archive still verifies."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import School, User
from archive import chain, retention
from archive.models import PURGE_KIND, Payload, PurgedPayload, Record
from messaging.actions import send
from messaging.models import Conversation, Message
from records import actions as archive_actions

pytestmark = pytest.mark.django_db

LATER = timedelta(days=401)  # past the 400-day chat default, before the 730-day announcements


@pytest.fixture
def chat(teacher: User, parent: User, conversation_4b: Conversation, announcements: Conversation,
         parent_5a: User, conversation_5a: Conversation) -> dict[str, list[Message]]:
    posted = {
        "4b": [send.post_message(teacher, conversation_4b, f"4B note {n}")[0] for n in range(5)],
        "news": [send.post_message(teacher, announcements, "School closed Monday")[0]],
        "5a": [send.post_message(parent_5a, conversation_5a, "5A question")[0]],
    }
    return posted


def bodies_in_archive() -> list[object]:
    return [c.get("body") for c in Payload.objects.values_list("content", flat=True)]


def test_expired_messages_and_their_payloads_are_purged_in_batches(chat: dict[str, list[Message]],
                                                                   client: Client, parent: User) -> None:
    now = timezone.now() + LATER
    outcomes = retention.apply_retention(now, batch_size=2)
    chat_outcome = next(o for o in outcomes if o.category == "chat")
    assert chat_outcome.messages == 6 and chat_outcome.batches == 3
    assert not Message.objects.filter(pk__in=[m.pk for m in chat["4b"] + chat["5a"]]).exists()
    # Announcements are kept for 730 days.
    assert Message.objects.filter(pk=chat["news"][0].pk).exists()
    assert "4B note 0" not in bodies_in_archive()
    assert "School closed Monday" in bodies_in_archive()
    # Gone from the pages a member reads.
    client.force_login(parent)
    page = client.get(reverse("messaging:conversation",
                              args=[chat["4b"][0].conversation_id])).content.decode()
    assert "4B note" not in page
    # The records stay, each payload deletion listed by a purge record naming the policy.
    posted = Record.objects.filter(message_id__in=[m.pk for m in chat["4b"]])
    assert posted.count() == 5
    purges = Record.objects.filter(kind=PURGE_KIND)
    assert purges.count() == 3
    listed = {r for p in purges for r in p.payload.content["records"]}
    assert set(posted.values_list("pk", flat=True)) <= listed
    assert all(p.payload.content["policy_days"] == 400 for p in purges)
    assert PurgedPayload.objects.filter(record__in=posted).count() == 5
    assert chain.verify().intact


def test_nothing_is_purged_before_its_time(chat: dict[str, list[Message]]) -> None:
    retention.apply_retention(timezone.now() + timedelta(days=399))
    assert Message.objects.count() == 7
    assert not Record.objects.filter(kind=PURGE_KIND).exists()


def test_a_legal_hold_keeps_content_until_lifted(chat: dict[str, list[Message]], dpo: User,
                                                 conversation_4b: Conversation, parent_5a: User) -> None:
    hold = archive_actions.place_hold(dpo, conversation_4b, "Complaint from a parent")
    person_hold = archive_actions.place_hold(dpo, parent_5a, "Subject access request pending")
    now = timezone.now() + LATER
    outcomes = retention.apply_retention(now)
    chat_outcome = next(o for o in outcomes if o.category == "chat")
    assert chat_outcome.messages == 0 and chat_outcome.held == 6
    assert Message.objects.count() == 7
    assert "4B note 3" in bodies_in_archive()
    assert Record.objects.filter(kind="hold.placed").count() == 2

    archive_actions.lift_hold(dpo, hold, "Complaint resolved")
    retention.apply_retention(now)
    assert not Message.objects.filter(conversation=conversation_4b).exists()
    assert Message.objects.filter(sender=parent_5a).exists()  # still under the person hold
    assert Record.objects.filter(kind="hold.lifted").count() == 1
    archive_actions.lift_hold(dpo, person_hold, "Investigation closed")
    retention.apply_retention(now)
    assert not Message.objects.filter(sender=parent_5a).exists()
    assert chain.verify().intact


def test_a_pupil_hold_keeps_their_class_conversation(chat: dict[str, list[Message]], dpo: User, parent: User,
                                                     conversation_4b: Conversation) -> None:
    from accounts.models import Pupil

    pupil = Pupil.objects.get(guardianships__guardian=parent)
    archive_actions.place_hold(dpo, pupil, "Safeguarding review")
    retention.apply_retention(timezone.now() + LATER)
    assert Message.objects.filter(conversation=conversation_4b).count() == 5


def test_a_school_policy_overrides_the_default(chat: dict[str, list[Message]], admin: User,
                                               school: School) -> None:
    archive_actions.set_retention(admin, school, {"announcements": 30})
    retention.apply_retention(timezone.now() + timedelta(days=31))
    assert not Message.objects.filter(pk=chat["news"][0].pk).exists()
    assert Message.objects.filter(pk=chat["4b"][0].pk).exists()
    assert Record.objects.filter(kind="retention.policy_set").exists()


def test_only_the_school_admin_sets_retention(school: School, dpo: User, teacher: User, parent: User) -> None:
    from django.core.exceptions import PermissionDenied

    for person in (dpo, teacher, parent):
        with pytest.raises(PermissionDenied):
            archive_actions.set_retention(person, school, {"chat": 1})


def test_the_forecast_lists_what_expires_in_the_next_30_days(chat: dict[str, list[Message]],
                                                             school: School) -> None:
    rows = {r.category: r for r in retention.forecast(school, timezone.now() + timedelta(days=375))}
    assert rows["chat"].due == 6 and rows["announcements"].due == 0
    assert rows["chat"].first_due is not None


def test_the_command_dry_run_deletes_nothing_and_the_real_run_does(chat: dict[str, list[Message]],
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + LATER)
    call_command("apply_retention", "--dry-run")
    out = capsys.readouterr().out
    assert "would purge 6 messages" in out and "Due in the next 30 days" in out
    assert Message.objects.count() == 7
    call_command("apply_retention")
    assert "purged 6 messages" in capsys.readouterr().out
    assert Message.objects.count() == 1
    monkeypatch.setattr(timezone, "now", real_now)
    call_command("verify_archive")


def test_the_daily_task_purges(chat: dict[str, list[Message]], monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.tasks import apply_retention

    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + LATER)
    assert apply_retention.delay().get()["messages"] == 6


def test_holds_are_placed_by_the_school_dpo_only(conversation_4b: Conversation, dpo: User, teacher: User,
                                                 admin: User, parent: User) -> None:
    from django.core.exceptions import PermissionDenied

    from accounts.models import Role
    from archive.models import LegalHold
    from tests.factories import SchoolFactory, UserFactory

    elsewhere = UserFactory(username="dpo-elsewhere", role=Role.DPO,
                            school=SchoolFactory(slug="elsewhere"))
    for person in (teacher, admin, parent, elsewhere):
        with pytest.raises(PermissionDenied):
            archive_actions.place_hold(person, conversation_4b, "Because")
    hold = archive_actions.place_hold(dpo, conversation_4b, "Because")
    with pytest.raises(PermissionDenied):
        archive_actions.lift_hold(elsewhere, hold, "Because")
    assert LegalHold.objects.get().lifted_at is None


def test_unknown_archive_actions_are_denied(dpo: User) -> None:
    from accounts.access import can

    assert can(dpo, "archive.search", dpo.school)
    assert not can(dpo, "archive.delete_everything", dpo.school)  # type: ignore[arg-type]  # unknown, on purpose
    assert not can(dpo, "archive.retention_policy", dpo.school)


def test_a_message_replied_to_after_it_expires_is_purged_and_the_reply_kept(
        teacher: User, parent: User, conversation_4b: Conversation) -> None:
    """``reply_to`` has no reverse accessor (``related_name="+"``); purging still clears it."""
    first, _ = send.post_message(teacher, conversation_4b, "Trip money by Friday")
    reply, _ = send.post_message(parent, conversation_4b, "Paid", reply_to=first)
    Message.objects.filter(pk=first.pk).update(created_at=timezone.now() - LATER)
    retention.apply_retention(timezone.now())
    assert not Message.objects.filter(pk=first.pk).exists()
    reply.refresh_from_db()
    assert reply.reply_to_id is None and reply.body == "Paid"
    assert chain.verify().intact


def test_a_sent_scheduled_message_goes_with_its_message(teacher: User, conversation_4b: Conversation) -> None:
    from messaging.models import ScheduledMessage

    message, _ = send.post_message(teacher, conversation_4b, "Sports day moved")
    scheduled = ScheduledMessage.objects.create(
        sender=teacher, conversation=conversation_4b, body="Sports day moved",
        send_at=timezone.now(), message=message)
    retention.apply_retention(timezone.now() + LATER)
    assert not Message.objects.filter(pk=message.pk).exists()
    assert not ScheduledMessage.objects.filter(pk=scheduled.pk).exists()
    assert chain.verify().intact


def test_a_large_batch_purges_with_one_purge_record(chat: dict[str, list[Message]]) -> None:
    outcomes = retention.apply_retention(timezone.now() + LATER, batch_size=5000)
    chat_outcome = next(o for o in outcomes if o.category == "chat")
    assert chat_outcome.messages == 6 and chat_outcome.batches == 1
    purge = Record.objects.get(kind=PURGE_KIND)
    listed = purge.payload.content["records"]
    assert listed == sorted(listed)
    assert set(PurgedPayload.objects.values_list("record_id", flat=True)) == set(listed)
    assert not Payload.objects.filter(record_id__in=listed).exists()
    assert chain.verify().intact
