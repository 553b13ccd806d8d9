"""The demo school's safeguarding: a lead who logs in as ``lead`` and finds reports and flags
in different states; a second run adds nothing. On a committing database, as the command runs:
flags are written once a send commits."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.models import Role, User
from safeguarding.models import Flag, Report, State


@pytest.fixture
def demo(transactional_db: None, settings: Settings) -> str:
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_has_a_lead_with_reports_and_flags_in_every_state(demo: str) -> None:
    assert "lead" in demo and "safeguarding lead" in demo
    lead = User.objects.get(username="lead")
    assert lead.role == Role.SAFEGUARDING and lead.check_password("schoolchat-demo")
    assert set(Report.objects.values_list("state", flat=True)) == {State.OPEN, State.DISMISSED}
    assert set(Flag.objects.values_list("state", flat=True)) == {State.OPEN, State.ACTIONED}
    assert set(Flag.objects.values_list("category", flat=True)) >= {"bullying", "personal_data"}
    client = Client()
    client.force_login(lead)
    queue = client.get("/safeguarding/").content.decode()
    assert "you are a loser" in queue and "Reported by Anna Jansen" in queue
    assert "06 1234 5678" in queue and "You are worthless" not in queue


def test_a_second_run_adds_nothing(demo: str) -> None:
    before = (Report.objects.count(), Flag.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Report.objects.count(), Flag.objects.count()) == before
