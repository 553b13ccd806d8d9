"""The demo school's consent: records of every kind, idempotent, and 4B's coverage page."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

import consent
from accounts.models import SchoolClass, User
from archive.models import Record
from consent.models import ConsentPurpose, ConsentRecord, ConsentRequest
from consent.services import has_consent


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def _counts() -> tuple[int, ...]:
    return (ConsentPurpose.objects.count(), ConsentRecord.objects.count(),
            ConsentRequest.objects.count(), Record.objects.filter(kind__startswith="consent.")
            .count())


def test_the_demo_holds_records_of_every_kind(demo: None) -> None:
    decisions = set(ConsentRecord.objects.values_list("decision", flat=True))
    assert decisions == {"granted", "refused", "withdrawn"}
    assert ConsentRecord.objects.filter(method="paper").exists()
    assert ConsentRecord.objects.filter(method="app").exists()
    assert Record.objects.filter(kind="consent.granted").count() == ConsentRecord.objects.filter(
        decision="granted").count()


def test_a_second_run_adds_nothing(demo: None, settings: Settings) -> None:
    before = _counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == before


def test_the_4b_coverage_page_lists_exactly_the_pupils_lacking_each_consent(demo: None,
                                                                            client: Client) -> None:
    client.force_login(User.objects.get(username="teacher"))
    school_class = SchoolClass.objects.get(name="4B", school__slug="demo")
    html = client.get(reverse("consent:coverage", args=[school_class.pk])).content.decode()
    lacking = {
        code: sorted(re.findall(r'<span class="pupil">([^<]+)</span>', body))
        for code, body in re.findall(r'data-purpose="([^"]+)"(.*?)</section>', html, re.S)
    }
    # The page agrees with has_consent() for every pupil currently in 4B ...
    from accounts.models import Enrolment

    pupils = [e.pupil for e in Enrolment.objects.current().filter(school_class=school_class)
              .select_related("pupil")]
    assert len(pupils) >= 3
    assert lacking == {
        code: sorted(f"{p.first_name} {p.last_name}" for p in pupils
                     if not has_consent(p, code))
        for code in lacking
    }
    # ... and, for the demo as designed, names exactly these.
    assert lacking == {
        consent.PARTICIPATION: ["Kofi Osei"],
        consent.PHOTOS_CLASS: ["Дмитрий Петров"],
        consent.PHOTOS_TOGETHER: ["Emma Jansen", "Дмитрий Петров"],
        consent.PHOTOS_WEBSITE: ["Emma Jansen", "Kofi Osei", "Дмитрий Петров"],
    }


def test_olga_is_asked_about_the_website_on_sign_in(demo: None, client: Client) -> None:
    client.force_login(User.objects.get(username="parent3"))
    html = client.get(reverse("messaging:inbox")).content.decode()
    assert "decision on 1 consent question." in html
    client.force_login(User.objects.get(username="parent4"))  # Kofi's answer is on record
    assert "consent-banner" not in client.get(reverse("messaging:inbox")).content.decode()
