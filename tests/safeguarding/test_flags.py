"""The default patterns flag what they are meant to, in English, Dutch and Russian, and leave
everyday speech alone; a flag never blocks a message; a school that holds pupils' messages
shows a matching one to its sender only until the lead releases it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.actions.schools import create_school
from accounts.models import Role, School, SchoolClass, User
from archive.models import Record
from messaging.actions import membership, send
from messaging.models import Conversation
from safeguarding import actions, screen
from safeguarding.models import Flag, Pattern, SafeguardingSettings, State
from tests.factories import PupilFactory, UserFactory, enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(school: School) -> list[screen.Rule]:
    actions.seed_school(school)
    return screen.rules_of(school.pk)


FLAGGED = [
    # English
    ("I want to kill myself", "self_harm"),
    ("sometimes I cut myself", "self_harm"),
    ("nobody likes you", "bullying"),
    ("I'll hurt you after school", "bullying"),
    ("send me nude pics", "sexual"),
    ("call me on 06 1234 5678", "personal_data"),
    ("my email is tim.b@example.com", "personal_data"),
    ("we live at 12 Baker Street", "personal_data"),
    # Dutch
    ("ik wil dood", "self_harm"),
    ("ik ga mezelf iets aandoen", "self_harm"),
    ("niemand vindt je leuk", "bullying"),
    ("ik maak je af", "bullying"),
    ("ga toch dood", "bullying"),
    ("stuur een naaktfoto", "sexual"),
    ("bel me: +31 6 12345678", "personal_data"),
    ("ik woon op de Kerkstraat 12", "personal_data"),
    ("postcode 1234 AB", "personal_data"),
    # Russian
    ("я хочу покончить с собой", "self_harm"),
    ("не хочу больше жить", "self_harm"),
    ("никто тебя не любит", "bullying"),
    ("я убью тебя", "bullying"),
    ("пришли голые фото", "sexual"),
    ("мой номер +7 912 345 67 89", "personal_data"),
    ("пиши на masha@example.ru", "personal_data"),
    ("я живу: ул. Ленина, д. 5", "personal_data"),
]

NOT_FLAGGED = [
    # English
    "We have an hour to kill time before the bus",
    "this homework is killing me",
    "that joke killed me",
    "Sex education starts on Monday",
    "The trip is on 12-03-2026 at 10:30",
    "Room 101, 3 pupils, 25 euros",
    # Dutch
    "we moeten de tijd doden tot de bus komt",
    "ik ga dood van het lachen",
    "ik ga dood, zo warm is het",
    "dit huiswerk maakt me kapot",
    "in 2024 om negen uur",
    "Seksuele voorlichting is op maandag",
    # Russian
    "надо как-то убить время до автобуса",
    "эта домашка меня убивает",
    "я умираю со смеху",
    "экскурсия 12.03.2026 в 10:30",
]


@pytest.mark.parametrize(("text", "category"), FLAGGED)
def test_the_defaults_flag(rules: list[screen.Rule], text: str, category: str) -> None:
    assert [f["category"] for f in screen.matches(text, rules)] == [category]


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_everyday_speech_is_not_flagged(rules: list[screen.Rule], text: str) -> None:
    assert screen.matches(text, rules) == []


@pytest.mark.parametrize("link", [
    "https://meet.school.example/room/0612345678",
    "see www.school.example/files/31612345678.pdf",
    "https://video.school.example/j/20240312123",
])
def test_digits_in_a_link_to_an_allowed_host_are_no_phone_number(
        rules: list[screen.Rule], link: str) -> None:
    assert screen.matches(link, rules, hosts=["school.example"]) == []
    # The same digits in a link the school did not allow are read as written.
    flagged = screen.matches(link.replace("school.example", "elsewhere.example"), rules,
                             hosts=["school.example"])
    assert [f["category"] for f in flagged] == ["personal_data"]


def test_personal_data_counts_in_groups_only(rules: list[screen.Rule]) -> None:
    assert screen.matches("call 0612345678", rules, in_group=False) == []
    assert screen.matches("I want to kill myself", rules, in_group=False) != []


def test_a_mistyped_pattern_matches_nothing_and_breaks_nothing(school: School) -> None:
    Pattern.objects.create(school=school, language="en", category="bullying", kind="regex",
                           text="([unclosed")
    assert screen.matches("anything ([unclosed", screen.rules_of(school.pk)) == []


def test_a_school_made_with_create_school_gets_the_defaults_in_every_language(db: None) -> None:
    school, _ = create_school("Nieuwe School", slug="nieuw")
    languages = set(Pattern.objects.filter(school=school).values_list("language", flat=True))
    categories = set(Pattern.objects.filter(school=school).values_list("category", flat=True))
    assert languages == {"en", "nl", "ru"}
    assert categories == {"self_harm", "bullying", "sexual", "personal_data"}
    assert SafeguardingSettings.objects.filter(school=school, hold_pupil_messages=False).exists()
    assert actions.seed_school(school) == 0  # once


# --- through the send path ---------------------------------------------------------------------

@pytest.fixture
def group(school: School, teacher: User, parent: User, admin: User) -> Conversation:
    actions.seed_school(school)
    club = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                       title="Chess club")
    membership.add_member(club, teacher, actor=admin, manager=True)
    membership.add_member(club, parent, actor=admin)
    return club


def test_a_flag_never_blocks_the_message(
        group: Conversation, parent: User, teacher: User,
        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = send.post_message(parent, group, "call me on 0612345678")
    assert not message.is_held
    flag = Flag.objects.get()
    assert (flag.message, flag.category, flag.state) == (message, "personal_data", State.OPEN)
    assert flag.matched == "0612345678"
    client = Client()
    client.force_login(teacher)
    page = client.get(reverse("messaging:conversation", args=[group.pk])).content.decode()
    assert "call me on 0612345678" in page
    assert Record.objects.filter(kind="safeguarding.flagged").count() == 1


@pytest.fixture
def pupil_user(school: School, class_4b: SchoolClass, group: Conversation, admin: User) -> User:
    user = UserFactory(username="pupil", display_name="Tim", role=Role.PUPIL, school=school)
    enrol(PupilFactory(school=school, user=user), class_4b)
    membership.add_member(group, user, actor=admin)
    return user


def _page(user: User, conversation: Conversation) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()


def test_a_held_pupil_message_is_its_senders_alone_until_the_lead_releases_it(
        school: School, group: Conversation, pupil_user: User, teacher: User, parent: User,
        lead: User, django_capture_on_commit_callbacks: Any) -> None:
    SafeguardingSettings.objects.filter(school=school).update(hold_pupil_messages=True)
    with django_capture_on_commit_callbacks(execute=True):
        held, _ = send.post_message(pupil_user, group, "nobody likes you")
        plain, _ = send.post_message(pupil_user, group, "good game today")
        adult, _ = send.post_message(parent, group, "nobody likes you, says the song")
    assert held.is_held and not plain.is_held and not adult.is_held
    mine = _page(pupil_user, group)
    assert "nobody likes you" in mine and "Waiting for review by the school" in mine
    for other in (teacher, parent):
        page = _page(other, group)
        assert "good game today" in page and f'id="m{held.pk}"' not in page
    flag = Flag.objects.get(message=held)
    client = Client()
    client.force_login(lead)
    item = client.get(reverse("safeguarding:item", args=["flag", flag.pk])).content.decode()
    assert "Publish the message" in item and "Waiting for review by the school" in item
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("safeguarding:decide", args=["flag", flag.pk, "release"]))
    assert response.status_code == 302
    held.refresh_from_db()
    flag.refresh_from_db()
    assert not held.is_held and flag.state == State.DISMISSED
    for other in (teacher, parent, pupil_user):
        assert f'id="m{held.pk}"' in _page(other, group)
    assert Record.objects.filter(kind="safeguarding.released", actor=lead).count() == 1


def test_a_rejected_pupil_message_is_never_seen_by_the_others(
        school: School, group: Conversation, pupil_user: User, teacher: User, lead: User,
        django_capture_on_commit_callbacks: Any) -> None:
    SafeguardingSettings.objects.filter(school=school).update(hold_pupil_messages=True)
    with django_capture_on_commit_callbacks(execute=True):
        held, _ = send.post_message(pupil_user, group, "send me nudes")
    flag = Flag.objects.get(message=held)
    actions.reject(lead, flag, reason="Not appropriate")
    assert "Not published by the school" in _page(pupil_user, group)
    assert f'id="m{held.pk}"' not in _page(teacher, group)


def test_without_the_setting_a_pupils_matching_message_is_flagged_not_held(
        group: Conversation, pupil_user: User,
        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = send.post_message(pupil_user, group, "nobody likes you")
    assert not message.is_held and Flag.objects.filter(message=message).exists()



def test_the_lead_chooses_to_hold_pupils_messages_and_the_allowed_hosts(
        school: School, lead: User, teacher: User) -> None:
    actions.seed_school(school)
    client = Client()
    client.force_login(lead)
    url = reverse("safeguarding:settings")
    refused = client.post(url, {"allowed_url_hosts": "not a host!"})
    assert refused.status_code == 200 and "Not a host name" in refused.content.decode()
    response = client.post(url, {"hold_pupil_messages": "on",
                                 "allowed_url_hosts": "Meet.School.Example\nschool.example"})
    assert response.status_code == 302
    settings = SafeguardingSettings.objects.get(school=school)
    assert settings.hold_pupil_messages and settings.hosts() == ["meet.school.example",
                                                                 "school.example"]
    assert Record.objects.filter(kind="safeguarding.settings_changed", actor=lead).exists()
    other = Client()
    other.force_login(teacher)
    assert other.get(url).status_code == 404
