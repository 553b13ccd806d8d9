"""Every page speaks the reader's language: the main pages, read in Dutch and in Russian, show
no English text of the project's own. A visible string that is one of the project's English
msgids (with its placeholders filled in any way) fails, as does text that reads the same in
English and in the other language although it is not data this test made (names, titles,
messages), a number or a date.

Visible text is what a reader meets: text nodes (also in hidden parts and <template>
prototypes, which the page shows later), and the attributes that are read out or shown:
alt, title, placeholder, aria-label, the value of a button, and the data-text-* strings the
scripts show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pyotp
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import consent
from accounts import twofactor
from accounts.actions.twofactor import enrol_second_factor
from accounts.models import Guardianship, Pupil, Role, School, SchoolClass, User
from consent import actions as consent_actions
from messaging.actions import send
from messaging.models import Conversation
from records import actions as archive_actions
from safeguarding import actions as safeguarding_actions
from safeguarding.models import Pattern
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("nl", "ru")
SHOWN_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}
# Text that is the same in every language: the product's name, the languages' own names.
SAME_EVERYWHERE = {"Schoolchat", "English", "Nederlands", "Русский", "PDF", "ZIP", "CSV", "OK"}


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.strings: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            shown = name in SHOWN_ATTRIBUTES or name.startswith("data-text-") or (
                tag == "input" and name == "value" and values.get("type") in ("submit", "button"))
            if shown and value:
                self._add(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._add(data)

    def _add(self, text: str) -> None:
        text = " ".join(text.split())
        if text:
            self.strings.add(text)


def visible_strings(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.strings


def _unquote(block: str) -> str:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', block)
    return "".join(parts).encode("latin-1", "backslashreplace").decode("unicode_escape") \
        if parts else ""


def catalogue(language: str) -> dict[str, str]:
    """English msgid (singular and plural) -> its translation, from every app's .po."""
    entries: dict[str, str] = {}
    for po in ROOT.glob(f"*/locale/{language}/LC_MESSAGES/django.po"):
        text = po.read_text()
        for block in text.split("\n\n"):
            msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
            if not msgid:
                continue
            english = _unquote(msgid.group(1))
            plural = re.search(r'^msgid_plural ((?:".*"\n?)+)', block, re.M)
            translated = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M)
            translation = _unquote(translated.group(1)) if translated else ""
            if english:
                entries[english] = translation
            if plural:
                entries[_unquote(plural.group(1))] = translation
    return entries


# Dates, times and file sizes as Django writes them in every language.
DATA_FORMATS = re.compile(r"\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}|^\d+([.,]\d+)? ?(bytes|KB|MB|GB)$")
# Pages with English that is still to be translated, and why. Strict: a page that no longer
# shows any fails, so its entry is removed.
KNOWN: dict[str, str] = {}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")


def english_patterns(language: str) -> list[tuple[str, re.Pattern[str]]]:
    """The English msgids a page in ``language`` must not show: all but those whose
    translation is the same text (a word Dutch shares with English)."""
    patterns = []
    for english, translation in catalogue(language).items():
        if translation == english or not re.search(r"[A-Za-z]{2}", PLACEHOLDER.sub("", english)):
            continue
        # A number placeholder stands for digits, any other for some text.
        holes = ["\\d+" if hole.endswith("d") else ".+?" for hole in PLACEHOLDER.findall(english)]
        pieces = [re.escape(re.sub(r"\s+", " ", piece)) for piece in PLACEHOLDER.split(english)]
        pattern = "".join(piece + (holes[i] if i < len(holes) else "")
                          for i, piece in enumerate(pieces))
        patterns.append((english, re.compile(pattern)))
    return patterns


def data_free(text: str, data: set[str]) -> str:
    """What is left of a string once the test's own data, numbers and dates are taken out."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return re.sub(r"[\W\d_]+", " ", text).strip()


@pytest.fixture
def site(school: School, class_4b: SchoolClass, conversation_4b: Conversation,
         announcements: Conversation, teacher: User, parent: User, admin: User,
         dpo: User) -> dict[str, list[str]]:
    """Data on every main page, and those pages by who reads them."""
    consent_actions.ensure_purposes(school)
    emma: Pupil = Guardianship.objects.get(guardian=parent).pupil
    question, _ = send.post_message(teacher, conversation_4b, "Who can help on Friday?")
    send.post_message(parent, conversation_4b, "I can", reply_to=question)
    notice, _ = send.post_message(teacher, announcements, "Sign the trip form", ack_requested=True)
    consent_actions.request_consent(teacher, class_4b, consent.PHOTOS_CLASS)
    archive_actions.request_export(dpo, user=parent, pupil=None)
    lead = UserFactory(username="lead", display_name="Mr Veilig", role=Role.SAFEGUARDING,
                       school=school)
    report = safeguarding_actions.report_message(parent, question, reason="bullying")
    safeguarding_actions.notify_dpo(lead, report, note="Friday")
    safeguarding_actions.seed_school(school)
    added = safeguarding_actions.add_pattern(lead, school, language="nl", category="bullying",
                                             kind="words", text="Friday")
    safeguarding_actions.switch_pattern(lead, added, active=False)
    c4b, ann = conversation_4b.pk, announcements.pk
    return {
        "parent": [reverse("messaging:inbox"), f"/c/{c4b}/", f"/c/{c4b}/members/", f"/c/{ann}/",
                   reverse("consent:index"), reverse("notifications:page"), "/search/?q=Friday",
                   reverse("messaging:people"), f"/safeguarding/report/message/{question.pk}/",
                   f"/safeguarding/report/person/{teacher.pk}/", "/safeguarding/my-reports/"],
        "lead": ["/safeguarding/", f"/safeguarding/report/{report.pk}/",
                 f"/safeguarding/pupils/{emma.pk}/notes/", "/safeguarding/settings/",
                 "/safeguarding/patterns/"],
        "teacher": [f"/c/{c4b}/", f"/c/{c4b}/m/{question.pk}/seen",
                    f"/c/{ann}/m/{notice.pk}/acknowledgements", f"/consent/class/{class_4b.pk}/",
                    f"/consent/class/{class_4b.pk}/paper/", reverse("messaging:office_hours")],
        "admin": ["/school/", "/school/people/", f"/school/people/{parent.pk}/",
                  "/school/invitations/", "/school/classes/", f"/school/classes/{class_4b.pk}/",
                  f"/school/pupils/{emma.pk}/", "/school/roster/", "/school/leavers/",
                  "/school/policies/", "/school/groups/", f"/school/groups/{ann}/",
                  "/archive/retention/policy", "/school/audit/", "/consent/forms/"],
        "dpo": ["/archive/", "/archive/search/?text=Friday", "/archive/exports/",
                "/archive/holds/", "/archive/retention/", "/archive/audit/",
                "/safeguarding/oversight/", "/archive/erasure/"],
    }


def made_by_this_test() -> set[str]:
    """Names, titles and texts the fixtures made: the same in every language."""
    data = {str(value) for value in (
        *User.objects.values_list("username", flat=True),
        *User.objects.values_list("display_name", flat=True),
        *(user.public_name for user in User.objects.all()),
        *School.objects.values_list("name", flat=True),
        *SchoolClass.objects.values_list("name", flat=True),
        *Conversation.objects.values_list("title", flat=True),
        *Pupil.objects.values_list("first_name", flat=True),
        *Pupil.objects.values_list("last_name", flat=True),
        *Pupil.objects.values_list("ref", flat=True),
        *(str(pupil) for pupil in Pupil.objects.all()),
        *User.objects.values_list("email", flat=True),
        *User.objects.values_list("phone", flat=True),
        # The school's safeguarding words and patterns are the school's data, as typed.
        *Pattern.objects.values_list("text", flat=True),
        "Who can help on Friday?", "I can", "Sign the trip form", "Friday",
    ) if value}
    return data | SAME_EVERYWHERE


def pages_in(language: str, site: dict[str, list[str]]) -> Iterator[tuple[str, set[str]]]:
    anonymous = Client()
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    yield "/login/", visible_strings(anonymous.get("/login/").content.decode())
    for username, paths in site.items():
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        client.force_login(User.objects.get(username=username))
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, f"{username} {path}: {response.status_code}"
            yield path, visible_strings(response.content.decode())
    yield from two_factor_pages(language)


def two_factor_pages(language: str) -> Iterator[tuple[str, set[str]]]:
    """The setup page (and its wrong-code answer), the recovery codes and the verify page."""
    school = School.objects.get()
    school.require_staff_2fa = True
    school.save(update_fields=["require_staff_2fa"])
    for user in User.objects.filter(username__in=["teacher", "admin"]):
        user.totp_confirmed_at = None
        user.save(update_fields=["totp_confirmed_at"])
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.post("/login/", {"username": "teacher", "password": PASSWORD})
    yield "/login/two-factor/", visible_strings(client.get("/login/two-factor/").content.decode())
    wrong = client.post("/login/two-factor/", {"code": "000000"})
    yield "/login/two-factor/ (wrong code)", visible_strings(wrong.content.decode())
    secret = client.session[twofactor.PENDING]["secret"]
    codes = client.post("/login/two-factor/", {"code": pyotp.TOTP(secret).now()})
    yield "/login/two-factor/ (codes)", visible_strings(codes.content.decode())
    admin = User.objects.get(username="admin")
    secret = pyotp.random_base32()
    enrol_second_factor(admin, secret, pyotp.TOTP(secret).timecode(timezone.now()) - 1)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.post("/login/", {"username": "admin", "password": PASSWORD})
    yield "/login/verify/", visible_strings(client.get("/login/verify/").content.decode())


def english_text(site: dict[str, list[str]], language: str) -> list[str]:
    data = made_by_this_test()
    english = dict(pages_in("en", site))
    found = []
    patterns = english_patterns(language)
    shared = {msgid for msgid, translation in catalogue(language).items() if msgid == translation}
    for path, strings in pages_in(language, site):
        for text in sorted(strings):
            leftover = data_free(text, data)
            if not leftover or text in shared or DATA_FORMATS.search(text):
                continue
            msgids = [english for english, pattern in patterns if pattern.fullmatch(text)]
            if msgids:
                found.append(f"{path}: {text!r} is the English msgid {msgids[0]!r}")
            elif text in english.get(path, set()) and re.search(r"[A-Za-z]{3}", leftover):
                found.append(f"{path}: {text!r} reads the same in English")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_pages_show_no_english_in_dutch_or_russian(site: dict[str, list[str]],
                                                            language: str) -> None:
    found = english_text(site, language)
    for path in KNOWN:
        assert any(line.startswith(f"{path}: ") for line in found), f"{path} is translated now"
    found = [line for line in found if line.split(": ", 1)[0] not in KNOWN]
    assert not found, f"{len(found)} English string(s) on {language} pages:\n" + "\n".join(found)
