"""The demo school's absences: the office logs in as ``office`` and finds today's day of 4B
with a late report and an absence not reported; the head, who teaches 4B but is not its class
teacher, sees who is absent, not why; a second run adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from pytest_django.fixtures import Settings

from absence.models import AbsenceReport
from accounts.models import Role, User


@pytest.fixture
def demo(transactional_db: None, settings: Settings) -> str:
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _day(username: str) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    response = client.get("/absence/items/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_demo_has_late_and_unreported_absences_in_its_languages(demo: str) -> None:
    assert "office" in demo and "absences at /absence/" in demo
    office = User.objects.get(username="office")
    assert office.role == Role.STAFF and office.check_password("schoolchat-demo")
    assert AbsenceReport.objects.filter(late=True, pupil__first_name="Дмитрий").exists()
    assert AbsenceReport.objects.filter(reported_at__isnull=True,
                                        marked_at__isnull=False).count() == 1
    day = _day("office")
    assert "Emma heeft sinds vannacht koorts." in day and "зубного врача" in day
    assert "Absent, not reported" in day and "Kofi" in day
    head = _day("head")
    assert "Emma" in head and "koorts" not in head and "зубного" not in head


def test_a_second_run_adds_nothing(demo: str) -> None:
    before = AbsenceReport.objects.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AbsenceReport.objects.count() == before == 4
