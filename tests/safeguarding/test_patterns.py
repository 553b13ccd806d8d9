"""The lead manages the school's words and patterns: adds, switches off and on, deletes what
the school added; a broken, too broad or repeated pattern is refused with what was typed kept;
the "try it" box says what would flag a sentence and stores nothing; a change applies to the
next message; every change is on the DPO's oversight page; nobody else sees any of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, School, User
from archive.models import Record
from messaging.actions import send
from messaging.models import Conversation, Message
from safeguarding import actions
from safeguarding.models import Flag, Pattern
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/safeguarding/patterns/"


@pytest.fixture
def seeded(school: School) -> School:
    actions.seed_school(school)
    return school


@pytest.fixture
def as_lead(client: Client, lead: User, seeded: School) -> Client:
    client.force_login(lead)
    return client


def _post(teacher: User, conversation: Conversation, text: str, capture: Any) -> Message:
    with capture(execute=True):
        message, _ = send.post_message(teacher, conversation, text)
    return message


def _add(client: Client, text: str, *, kind: str = "words", language: str = "en",
         category: str = "bullying") -> str:
    answer = client.post(PAGE, {"add-language": language, "add-category": category,
                                "add-kind": kind, "add-text": text}, follow=True)
    return answer.content.decode()


def test_the_page_lists_the_schools_patterns_by_language_and_category(as_lead: Client) -> None:
    page = as_lead.get(PAGE).content.decode()
    for heading in ("English", "Dutch", "Russian", "Self-harm", "Bullying", "Sexual content",
                    "Personal data"):
        assert f">{heading}</h" in page
    assert "“suicide”" in page  # words as words
    assert r"<code>\bkill(?:ing)? my ?self\b</code>" in page  # a regex as code
    assert "One of the defaults" in page and "Added by the school" not in page


def test_the_queue_and_the_settings_page_link_to_it(as_lead: Client) -> None:
    for page in ("/safeguarding/", "/safeguarding/settings/"):
        assert f'href="{PAGE}"' in as_lead.get(page).content.decode()


def test_a_word_added_flags_the_next_message(
        as_lead: Client, lead: User, conversation_4b: Conversation, teacher: User,
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    page = _add(as_lead, "  Stinky   Sam ")
    assert "The pattern is added" in page and "“Stinky Sam”" in page
    assert "Added by the school" in page
    added = Pattern.objects.get(text="Stinky Sam")
    assert (added.language, added.category, added.kind, added.active) == (
        "en", "bullying", "words", True)
    message = _post(teacher, conversation_4b, "Look, it's stinky sam again",
                    django_capture_on_commit_callbacks)
    flag = Flag.objects.get(message=message)
    assert flag.pattern == added and flag.matched == "stinky sam"
    record = Record.objects.get(kind="safeguarding.pattern_added")
    assert record.actor == lead and record.scope == f"safeguarding:{lead.school_id}"


def test_a_default_switched_off_no_longer_flags_and_switched_on_does_again(
        as_lead: Client, conversation_4b: Conversation, teacher: User,
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    porn = Pattern.objects.get(language="en", text="porn")
    off = as_lead.post(reverse("safeguarding:pattern_switch", args=[porn.pk]), follow=True)
    assert "Switched off: the words “porn”" in off.content.decode()
    porn.refresh_from_db()
    assert not porn.active
    quiet = _post(teacher, conversation_4b, "no porn here", django_capture_on_commit_callbacks)
    assert not Flag.objects.filter(message=quiet).exists()
    as_lead.post(reverse("safeguarding:pattern_switch", args=[porn.pk]), {"active": "on"})
    porn.refresh_from_db()
    assert porn.active
    loud = _post(teacher, conversation_4b, "no porn here either",
                 django_capture_on_commit_callbacks)
    assert Flag.objects.filter(message=loud, pattern=porn).exists()
    assert [r.kind for r in Record.objects.filter(kind__startswith="safeguarding.pattern_")
            .order_by("position")] == ["safeguarding.pattern_off", "safeguarding.pattern_on"]


def test_a_pattern_the_school_added_is_deleted_and_a_default_is_not(as_lead: Client) -> None:
    _add(as_lead, r"\bstinky\s+\w+\b", kind="regex")
    added = Pattern.objects.get(text=r"\bstinky\s+\w+\b")
    gone = as_lead.post(reverse("safeguarding:pattern_delete", args=[added.pk]), follow=True)
    assert "Deleted: the regular expression" in gone.content.decode()
    assert not Pattern.objects.filter(pk=added.pk).exists()
    default = Pattern.objects.get(language="en", text="suicide")
    kept = as_lead.post(reverse("safeguarding:pattern_delete", args=[default.pk]), follow=True)
    assert "can be switched off, not deleted" in kept.content.decode()
    assert Pattern.objects.filter(pk=default.pk).exists()
    assert Record.objects.filter(kind="safeguarding.pattern_deleted").count() == 1


@pytest.mark.parametrize(("kind", "text", "error"), [
    ("regex", "(unclosed", "does not work"),
    ("regex", "a*", "matches an empty message"),
    ("regex", "x|", "matches an empty message"),
    ("regex", ".", "matches everyday text such as “a”"),
    ("regex", r"\d", "matches everyday text"),
    ("words", "de", "matches everyday text"),
    ("words", "the", "matches everyday text"),
])
def test_a_broken_or_too_broad_pattern_is_refused_and_what_was_typed_is_kept(
        as_lead: Client, kind: str, text: str, error: str) -> None:
    before = Pattern.objects.count()
    answer = as_lead.post(PAGE, {"add-language": "nl", "add-category": "sexual",
                                 "add-kind": kind, "add-text": text})
    page = answer.content.decode()
    assert answer.status_code == 400 and error in page
    assert 'role="alert"' in page
    assert f'value="{text}"' in page  # the form keeps what was typed
    assert '<option value="nl" selected>' in page and '<option value="sexual" selected>' in page
    assert Pattern.objects.count() == before
    assert not Record.objects.filter(kind="safeguarding.pattern_added").exists()


def test_every_default_passes_the_check(seeded: School) -> None:
    from safeguarding.screen import refusal
    assert [p.text for p in Pattern.objects.filter(school=seeded)
            if refusal(p.kind, p.text) is not None] == []


def test_a_duplicate_is_refused(as_lead: Client) -> None:
    before = Pattern.objects.count()
    for text, kind in (("Suicide", "words"), (r"\bkill(?:ing)? my ?self\b", "regex")):
        answer = as_lead.post(PAGE, {"add-language": "en", "add-category": "self_harm",
                                     "add-kind": kind, "add-text": text})
        assert answer.status_code == 400
        assert "already on the school&#x27;s list" in answer.content.decode()
    assert Pattern.objects.count() == before


def test_try_it_says_which_patterns_would_flag_a_sentence_and_stores_nothing(
        as_lead: Client) -> None:
    messages, records = Message.objects.count(), Record.objects.count()
    page = as_lead.post(reverse("safeguarding:patterns_try"),
                        {"try-sample": "nobody likes you, call 06 1234 5678"}).content.decode()
    # The phone number pattern is on every language's list: each would flag it.
    assert "4 patterns would flag it" in page
    assert "Bullying" in page and "matched “nobody likes you”" in page
    assert "matched “06 1234 5678”" in page
    assert "nobody likes you, call 06 1234 5678</textarea>" in page
    calm = as_lead.post(reverse("safeguarding:patterns_try"),
                        {"try-sample": "this homework is killing me"}).content.decode()
    assert "No pattern would flag it." in calm
    assert (Message.objects.count(), Record.objects.count()) == (messages, records)


def test_the_dpo_reads_every_change_as_a_sentence(
        as_lead: Client, client: Client, dpo: User) -> None:
    _add(as_lead, "stinky sam")
    porn = Pattern.objects.get(language="ru", text="порно")
    as_lead.post(reverse("safeguarding:pattern_switch", args=[porn.pk]))
    client.force_login(dpo)
    page = client.get("/safeguarding/oversight/").content.decode()
    assert "Pattern added" in page
    assert "Mr Veilig added the words “stinky sam” to the English list (Bullying)." in page
    assert "Mr Veilig switched off the words “порно” on the Russian list (Sexual content)." in page


ROLES = [Role.ADMIN, Role.TEACHER, Role.STAFF, Role.PARENT, Role.PUPIL, Role.DPO]


@pytest.mark.parametrize("role", ROLES)
def test_everyone_but_the_lead_gets_404(client: Client, seeded: School, role: str) -> None:
    client.force_login(UserFactory(username=f"x{role}", role=role, school=seeded))
    _refused_everywhere(client, seeded)


def test_the_lead_of_another_school_cannot_touch_this_schools_list(
        client: Client, seeded: School, other_lead: User) -> None:
    client.force_login(other_lead)
    pattern = Pattern.objects.filter(school=seeded).first()
    assert pattern is not None
    assert pattern.text not in client.get(PAGE).content.decode()  # their own, empty list
    for name in ("safeguarding:pattern_switch", "safeguarding:pattern_delete"):
        assert client.post(reverse(name, args=[pattern.pk])).status_code == 404
    pattern.refresh_from_db()
    assert pattern.active


def _refused_everywhere(client: Client, school: School) -> None:
    pattern = Pattern.objects.filter(school=school).first()
    assert pattern is not None
    before = Pattern.objects.filter(school=school).count()
    answers = [
        client.get(PAGE),
        client.post(PAGE, {"add-language": "en", "add-category": "bullying",
                           "add-kind": "words", "add-text": "stinky sam"}),
        client.post(reverse("safeguarding:patterns_try"), {"try-sample": "nobody likes you"}),
        client.post(reverse("safeguarding:pattern_switch", args=[pattern.pk])),
        client.post(reverse("safeguarding:pattern_delete", args=[pattern.pk])),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    pattern.refresh_from_db()
    assert pattern.active and Pattern.objects.filter(school=school).count() == before
    assert not Record.objects.filter(kind__startswith="safeguarding.pattern_").exists()


def test_signed_out_goes_to_sign_in(client: Client, seeded: School) -> None:
    answer = client.get(PAGE)
    assert answer.status_code == 302 and "login" in answer["Location"]
