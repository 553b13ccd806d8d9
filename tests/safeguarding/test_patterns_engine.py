"""A school's patterns never freeze a process: they run on a linear-time engine, so a pattern
that makes Python's backtracking take minutes (``(x+x+)+y`` over thirty x's) is answered at
once when it is added and when a message is screened with it; what the engine cannot run
(a backreference, lookaround in the middle) is refused with a sentence that says why, and one
stored before is skipped by the screen and shown as not running; Python's Unicode meaning of
``\\w`` and ``\\b`` holds for Russian and Dutch patterns.

The bounds of one second are the ones the school can notice: the lead's page answering, the
sender's message acknowledged."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from accounts.models import School, User
from archive.models import Record
from messaging.actions import send
from messaging.models import Conversation, Message
from safeguarding import actions
from safeguarding.models import Flag, Pattern
from tests.messaging.test_consumer import connect, receive_until

PAGE = "/safeguarding/patterns/"
WITHIN = 1.0  # seconds
CATASTROPHIC = [r"(\w+\s?)+#", r"(x+x+)+y", r"(a+)+$", r"(a|aa)+$", r"(.*a){12}"]


@contextmanager
def answered_within(seconds: float) -> Iterator[None]:
    """Fails when the block takes longer than ``seconds``; a block that would take minutes
    (Python's regular expressions check for signals as they backtrack) is stopped after five
    times that, so the test fails instead of hanging."""

    def stop(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no answer in {5 * seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 5 * seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"answered in {elapsed:.2f} s"


@pytest.fixture
def seeded(school: School) -> School:
    actions.seed_school(school)
    return school


@pytest.fixture
def as_lead(client: Client, lead: User, seeded: School) -> Client:
    client.force_login(lead)
    return client


def _add(client: Client, text: str, *, kind: str = "regex", language: str = "en") -> Any:
    return client.post(PAGE, {"add-language": language, "add-category": "bullying",
                              "add-kind": kind, "add-text": text})


@pytest.mark.django_db
@pytest.mark.parametrize("text", CATASTROPHIC)
def test_a_pattern_that_backtracks_for_minutes_is_answered_at_once(
        as_lead: Client, text: str) -> None:
    assert as_lead.get(PAGE).status_code == 200  # the lead opens the page, then adds
    with answered_within(WITHIN):
        answer = _add(as_lead, text)
    page = answer.content.decode()
    if text in (r"(a+)+$", r"(a|aa)+$"):  # these match the everyday "a": too broad
        assert answer.status_code == 400 and "matches everyday text such as “a”" in page
        assert not Pattern.objects.filter(text=text).exists()
    else:
        assert answer.status_code == 302
        assert Pattern.objects.get(text=text).active


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "flagged", "quiet"), [
    (r"(x+x+)+y", "xxxxy", "x" * 30),
    (r"(\w+\s?)+#", "kijk #", "Homework for Monday"),
    (r"(.*a){12}", "a" * 12, "a" * 11),
])
def test_such_a_pattern_flags_what_it_matches_and_lets_the_rest_pass_at_once(
        as_lead: Client, conversation_4b: Conversation, teacher: User, text: str,
        flagged: str, quiet: str,
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    # The lead opens the page (which compiles the school's patterns, once per process).
    assert as_lead.get(PAGE).status_code == 200
    with answered_within(WITHIN):
        assert _add(as_lead, text).status_code == 302
    pattern = Pattern.objects.get(text=text)
    with answered_within(WITHIN), django_capture_on_commit_callbacks(execute=True):
        hit, _ = send.post_message(teacher, conversation_4b, flagged)
        passed, _ = send.post_message(teacher, conversation_4b, quiet)
    assert Flag.objects.get(message=hit).pattern == pattern
    assert not Flag.objects.filter(message=passed).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("length", [30, 5000])
async def test_after_such_a_pattern_a_long_message_is_acked_over_the_socket_at_once(
        lead: User, school: School, conversation_4b: Conversation, teacher: User,
        settings: Any, length: int) -> None:
    settings.SCHOOLCHAT_MESSAGE_MAX_CHARS = 6000
    await database_sync_to_async(actions.add_pattern)(
        lead, school, language="en", category="bullying", kind="regex", text=r"(x+x+)+y")
    communicator = await connect(teacher)
    client_id = str(uuid.uuid4())
    started = time.monotonic()
    await communicator.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                                     "client_id": client_id, "body": "x" * length})
    answers = await receive_until(communicator, "ack", timeout=10)
    elapsed = time.monotonic() - started
    await communicator.disconnect()
    assert answers[-1]["client_id"] == client_id
    assert elapsed < WITHIN, f"acked in {elapsed:.2f} s"
    stored = await database_sync_to_async(Message.objects.get)(client_id=client_id)
    assert len(stored.body) == length
    assert not await database_sync_to_async(Flag.objects.filter(message=stored).exists)()


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "sentence"), [
    (r"(\w+) \1", "refers back to an earlier group"),
    (r"(?P<w>\w+) (?P=w)", "refers back to an earlier group"),
    (r"kill(?= you)\w*", "looks ahead or behind"),
    (r"\bhate (?<!I )you\b", "looks ahead or behind"),
    (r"\b(?:#|x)", "next to something that may or may not be a letter"),
    (r"x{2000}", "too large for the screen"),
    (r"(?:\w{40}){20}", "too large for the screen"),
    (r"a++b", "possessive repeats"),
])
def test_a_pattern_the_engine_cannot_run_is_refused_with_why(
        as_lead: Client, text: str, sentence: str) -> None:
    before = Pattern.objects.count()
    answer = _add(as_lead, text)
    page = answer.content.decode()
    assert answer.status_code == 400 and sentence in page
    assert 'role="alert"' in page
    assert Pattern.objects.count() == before
    assert not Record.objects.filter(kind="safeguarding.pattern_added").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "sentence"), [
    ("nl", "verwijst terug naar een eerdere groep"),
    ("ru", "ссылается на более раннюю группу"),
])
def test_the_refusal_is_in_the_leads_language(
        as_lead: Client, lead: User, language: str, sentence: str) -> None:
    as_lead.cookies["django_language"] = language
    answer = _add(as_lead, r"(\w+) \1")
    assert answer.status_code == 400 and sentence in answer.content.decode()


@pytest.mark.django_db
def test_lookaround_at_the_edges_still_works(
        as_lead: Client, conversation_4b: Conversation, teacher: User,
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    assert _add(as_lead, r"(?<![\w@])hate you(?! too\b)").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        hit, _ = send.post_message(teacher, conversation_4b, "I hate you!")
        fine, _ = send.post_message(teacher, conversation_4b, "I hate you tool")
        too, _ = send.post_message(teacher, conversation_4b, "I hate you too")
    assert Flag.objects.get(message=hit).matched == "hate you"
    assert Flag.objects.filter(message=fine).exists()
    assert not Flag.objects.filter(message=too).exists()


@pytest.mark.django_db
def test_russian_and_dutch_patterns_keep_unicode_words_and_boundaries(
        as_lead: Client, conversation_4b: Conversation, teacher: User,
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    assert _add(as_lead, r"\bдурак\w*\b", language="ru").status_code == 302
    assert _add(as_lead, r"\bsukkel\w*", language="nl").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        ru, _ = send.post_message(teacher, conversation_4b, "Ты ДУРАКИ, понял?")
        ru_inside, _ = send.post_message(teacher, conversation_4b, "Придурак какой-то")
        nl, _ = send.post_message(teacher, conversation_4b, "Wat een Sukkeltjé ben je")
        nl_inside, _ = send.post_message(teacher, conversation_4b, "Zoetsukkel")
        default, _ = send.post_message(teacher, conversation_4b, "Это суицид?")
    assert Flag.objects.get(message=ru).matched == "ДУРАКИ"
    assert Flag.objects.get(message=nl).matched == "Sukkeltjé"
    assert Flag.objects.get(message=default).matched == "суицид"
    assert not Flag.objects.filter(message__in=[ru_inside, nl_inside]).exists()


@pytest.mark.django_db
def test_a_stored_pattern_the_engine_cannot_run_is_skipped_and_shown_as_not_running(
        as_lead: Client, seeded: School, conversation_4b: Conversation, teacher: User,
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    # Stored before patterns ran on the linear-time engine, when Python's re took it.
    Pattern.objects.create(school=seeded, language="en", category="bullying", kind="regex",
                           text=r"\b(\w+) \1\b")
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = send.post_message(teacher, conversation_4b, "bye bye, I want to kill myself")
    assert [f.category for f in Flag.objects.filter(message=message)] == ["self_harm"]
    page = as_lead.get(PAGE).content.decode()
    assert page.count("Not running: the screen skips this pattern") == 1
    assert "refers back to an earlier group" in page


SENTENCES = [
    "I want to kill myself", "this homework is killing me", "nobody likes you!", "go and die.",
    "send me nude pics", "Sex education starts on Monday", "call me on 06 1234 5678 today",
    "+31 6 12345678", "mail piet.jansen@school.example now", "I live at 12 Baker Street.",
    "ik ga dood van het lachen", "Ga toch dood", "ik ga dood, zo warm is het", "ga maar dood!",
    "stuur naaktfoto's", "naakt foto", "Kerkstraat 12a", "Kerkstraat 12 bij de kerk",
    "1234 AB Utrecht", "2024 om tien uur", "покончить с собой", "Это суицид?", "суицидальный",
    "голые фото", "ул. Ленина, д. 5", "убью тебя", "Домашнее задание на понедельник в дневнике.",
    "12-03-2026 at 10:30", "https://meet.school.example/room/0612345678",
]


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_the_engine_finds_what_pythons_re_finds_with_every_default(language: str) -> None:
    import re

    from safeguarding.defaults import DEFAULTS
    from safeguarding.screen import compiled

    for _category, kind, text in DEFAULTS[language]:
        if kind == "words":
            continue
        python = re.compile(text, re.IGNORECASE)
        program = compiled(kind, text)
        assert program is not None, text
        for sentence in SENTENCES:
            expected = python.search(sentence)
            found = program.search(sentence)
            assert (found is None) == (expected is None), (text, sentence)
            if expected is not None and found is not None:
                assert found.strip() == expected.group(0).strip(), (text, sentence)
