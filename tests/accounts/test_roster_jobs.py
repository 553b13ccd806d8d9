"""Applying a roster is a worker job: the admin's page queues the checked file, shows its
progress in lines and then what it did; only that school's admins see it; one import at a
time; a failed import changes nothing and can be tried again; the command tells its
progress."""

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.test import Client
from django.urls import reverse

from accounts.actions.classes import roster_changed
from accounts.actions.roster_imports import ImportRefused, run_roster_import, start_roster_import
from accounts.models import Pupil, Role, RosterImport, School, User
from accounts.roster import import_roster
from tests.accounts.test_roster import as_csv, roster_rows, snapshot
from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[list[Callable[[], object]]]]
ROWS = roster_rows(count=8)  # 8 pupils on 10 lines (every fourth pupil has a second guardian)
TEXT = as_csv(ROWS)


def _preview(client: Client, text: str = TEXT) -> None:
    response = client.post(reverse("accounts:school_roster"),
                           {"file": SimpleUploadedFile("roster.csv", text.encode())})
    assert response.status_code == 200, response.content


def _confirm(client: Client) -> object:
    return client.post(reverse("accounts:school_roster"),
                       {"confirm": client.session["accounts_roster_preview"]["sha256"]})


def _page(job: RosterImport) -> str:
    return reverse("accounts:school_roster_import", args=[job.pk])


def _status(job: RosterImport) -> str:
    return reverse("accounts:school_roster_import_status", args=[job.pk])


def test_the_confirmed_file_is_applied_by_the_worker_and_its_page_shows_the_result(
        client: Client, admin: User, school: School,
        django_capture_on_commit_callbacks: Capture) -> None:
    client.force_login(admin)
    _preview(client)
    with mock.patch("accounts.tasks.run_roster_import.delay") as delay, \
            django_capture_on_commit_callbacks(execute=True):
        response = _confirm(client)
    # The request only queued it: nothing is applied until the worker runs the job.
    job = RosterImport.objects.get(school=school)
    delay.assert_called_once_with(job.pk)
    assert response["Location"] == _page(job)  # type: ignore[index]
    assert not Pupil.objects.exists()
    assert (job.state, job.lines_done, job.lines_total, job.started_by) == ("pending", 0, 10, admin)
    waiting = client.get(_page(job)).content.decode()
    assert '<progress id="roster-progress" max="10" value="0">' in waiting
    assert "0 of 10 lines" in waiting
    assert "accounts/roster_import.js" in waiting  # no inline script: the strict CSP holds

    run_roster_import(job.pk)  # what the worker does with it
    job.refresh_from_db()
    assert (job.state, job.lines_done, job.lines_total) == ("done", 10, 10)
    assert job.text == ""  # the file's names and addresses are not kept once applied
    assert job.finished_at is not None and job.started_at is not None
    assert Pupil.objects.filter(school=school).count() == 8
    page = client.get(_page(job)).content.decode()
    assert "Imported" in page and "<progress" not in page
    assert "Pupils: 8 created, 0 updated, 0 unchanged, 0 leaving." in page
    assert "New pupil P0000 Дмитрий Петров" in page
    assert client.get(_status(job)).json() == {
        "state": "done", "finished": True, "done": 10, "total": 10, "text": "10 of 10 lines"}


def test_through_celery_the_page_ends_on_the_result(
        client: Client, admin: User, school: School,
        django_capture_on_commit_callbacks: Capture) -> None:
    client.force_login(admin)
    _preview(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = _confirm(client)
    page = client.get(response["Location"]).content.decode()  # type: ignore[index]
    assert "Pupils: 8 created" in page
    assert RosterImport.objects.get(school=school).state == "done"


@pytest.mark.parametrize(("language", "sentence"), [
    ("en", "312 of 4,000 lines"), ("nl", "312 van 4.000 regels"),
    ("ru", "312 из 4\xa0000 строк")])
def test_the_page_shows_how_far_a_running_import_has_come(
        client: Client, admin: User, school: School, language: str, sentence: str) -> None:
    job = RosterImport.objects.create(school=school, started_by=admin, text=TEXT,
                                      state="running", lines_done=312, lines_total=4000)
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(_page(job)).content.decode()
    assert '<progress id="roster-progress" max="4000" value="312">' in page
    assert sentence in page
    assert '<noscript><meta http-equiv="refresh"' in page
    assert client.get(_status(job)).json() == {
        "state": "running", "finished": False, "done": 312, "total": 4000, "text": sentence}
    # The roster page leads to it.
    roster = client.get(reverse("accounts:school_roster")).content.decode()
    assert _page(job) in roster


def test_only_the_schools_admins_see_an_import(client: Client, admin: User, school: School,
                                               teacher: User, parent: User) -> None:
    job = RosterImport.objects.create(school=school, started_by=admin, text=TEXT,
                                      state="running", lines_done=3, lines_total=10)
    other_admin = UserFactory(username="admin-b", role=Role.ADMIN,
                              school=SchoolFactory(name="Other", slug="other"))
    colleague = UserFactory(username="admin-2", role=Role.ADMIN, school=school)
    for outsider in (other_admin, teacher, parent):
        client.force_login(outsider)
        assert client.get(_page(job)).status_code == 404, outsider
        assert client.get(_status(job)).status_code == 404, outsider
        assert client.post(_page(job)).status_code == 404, outsider
    client.force_login(colleague)  # another admin of the same school: yes
    assert client.get(_status(job)).json()["done"] == 3
    client.logout()
    assert client.get(_status(job)).status_code == 302  # to the login page


def test_a_second_import_is_refused_while_one_runs(
        client: Client, admin: User, school: School,
        django_capture_on_commit_callbacks: Capture) -> None:
    client.force_login(admin)
    _preview(client)  # previewed before the other import started
    running = RosterImport.objects.create(school=school, started_by=admin, text=TEXT,
                                          state="running", lines_total=10)
    sentence = ("A roster import is already running for this school. Wait until it is done, "
                "then upload the file again.")
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = _confirm(client)
    assert confirmed.status_code == 409  # type: ignore[attr-defined]
    assert sentence in confirmed.content.decode()  # type: ignore[attr-defined]
    uploaded = client.post(reverse("accounts:school_roster"),
                           {"file": SimpleUploadedFile("roster.csv", TEXT.encode())})
    assert uploaded.status_code == 409 and sentence in uploaded.content.decode()
    assert list(RosterImport.objects.all()) == [running]
    assert not Pupil.objects.exists()
    with pytest.raises(ImportRefused):
        start_roster_import(school, TEXT, actor=admin)
    # Another school is not held up.
    other = SchoolFactory(name="Other", slug="other")
    assert start_roster_import(other, TEXT, actor=None).state == "pending"
    # Once it is done, the next one starts.
    RosterImport.objects.filter(pk=running.pk).update(state="done")
    assert start_roster_import(school, TEXT, actor=admin).state == "pending"


def test_a_file_broken_by_the_time_it_runs_gives_its_line_errors_and_changes_nothing(
        client: Client, admin: User, school: School) -> None:
    import_roster(school, as_csv(roster_rows(count=4)), actor=admin)
    before = snapshot()
    rows = roster_rows(year_offset=1, count=4)
    rows[1][3] = "31-02-2016"  # line 3
    job = start_roster_import(school, as_csv(rows), actor=admin)
    run_roster_import(job.pk)
    job.refresh_from_db()
    assert job.state == "failed"
    assert job.result == {"errors": [
        "Line 3: the date of birth “31-02-2016” is not a date: write it as 2016-03-14 or "
        "14-03-2016."]}
    assert snapshot() == before
    client.force_login(admin)
    page = client.get(_page(job)).content.decode()
    assert "The file was not imported; nothing changed." in page
    assert "Line 3: the date of birth" in page


def test_a_failed_import_changes_nothing_says_so_and_can_be_tried_again(
        client: Client, admin: User, school: School,
        django_capture_on_commit_callbacks: Capture) -> None:
    job = start_roster_import(school, TEXT, actor=admin)
    # The database gives up half-way: pupils and accounts were written, guardianships not.
    with mock.patch("accounts.roster.set_guardianships", side_effect=DatabaseError("gone")):
        run_roster_import(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and job.finished_at is not None
    assert not Pupil.objects.exists() and not User.objects.exclude(ref="").exists()
    client.force_login(admin)
    page = client.get(_page(job)).content.decode()
    assert ("The import stopped because of an error on the server; nothing was changed. "
            "Try again; if it fails again, tell the operator.") in page
    assert "Try again</button>" in page
    # A failed import does not hold up the next one, and the same file can be tried again.
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(_page(job))
    again = RosterImport.objects.exclude(pk=job.pk).get()
    assert retried["Location"] == _page(again)
    assert again.state == "done" and again.lines_done == 10
    assert Pupil.objects.filter(school=school).count() == 8
    job.refresh_from_db()
    assert job.text == ""  # the retried copy is the one kept


def test_progress_is_told_in_lines_up_to_the_whole_file(school: School, admin: User) -> None:
    told: list[tuple[int, int]] = []
    import_roster(school, as_csv(roster_rows(count=30)), actor=admin,
                  progress=lambda done, total: told.append((done, total)))
    assert told[0] == (0, 38) and told[-1] == (38, 38)
    assert {total for _done, total in told} == {38}
    done = [d for d, _total in told]
    assert done == sorted(done) and len(set(done)) > 5  # steps on the way, never backwards


def test_the_command_tells_its_progress_on_stderr(school: School, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(as_csv(roster_rows(count=30)), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_roster", str(path), "--progress-every", "25", stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0] == "0 of 38 lines (0%)" and lines[-1] == "38 of 38 lines (100%)"
    assert 3 <= len(lines) <= 5  # one a quarter at most
    assert "Pupils: 30 created" in out.getvalue()
    quiet = io.StringIO()
    call_command("import_roster", str(path), "--progress-every", "0", stdout=io.StringIO(),
                 stderr=quiet)
    assert quiet.getvalue() == ""


def test_the_command_is_refused_while_the_admin_has_an_import_running(
        school: School, admin: User, tmp_path: Path) -> None:
    RosterImport.objects.create(school=school, started_by=admin, text=TEXT, state="running")
    path = tmp_path / "roster.csv"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(CommandError, match="already running"):
        call_command("import_roster", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Pupil.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite lets one writer in at a time: progress shows at the end only")
def test_progress_reaches_other_connections_while_nothing_of_the_import_has_committed(
        school: School, admin: User) -> None:
    seen: list[tuple[str, int, int, int]] = []
    announce = roster_changed  # the name accounts.roster calls, patched below

    def watching(classes: object, actor: User | None = None) -> None:
        # What the admin's page (another process) reads while the worker is at this class.
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT state, lines_done, lines_total, "
                               "(SELECT count(*) FROM accounts_pupil) FROM accounts_rosterimport")
                seen.append(cursor.fetchone())
        finally:
            other.close()
        announce(classes, actor=actor)  # type: ignore[arg-type]

    with mock.patch("accounts.roster.roster_changed", watching):
        job = start_roster_import(school, TEXT, actor=admin)  # the worker runs it (eagerly)
    job.refresh_from_db()
    assert job.state == "done"
    assert seen and all(state == "running" and total == 10 and pupils == 0
                        for state, _done, total, pupils in seen)
    done = [d for _state, d, _total, _pupils in seen]
    assert done == sorted(done) and 0 < done[-1] < 10


def test_an_import_whose_worker_is_long_gone_no_longer_holds_the_school(
        client: Client, admin: User, school: School) -> None:
    from datetime import timedelta

    from django.utils import timezone

    lost = RosterImport.objects.create(school=school, started_by=admin, text=TEXT,
                                       state="running",
                                       created_at=timezone.now() - timedelta(hours=3))
    job = start_roster_import(school, TEXT, actor=admin)
    assert job.state == "pending"
    lost.refresh_from_db()
    assert lost.state == "failed" and lost.text == TEXT  # nothing lost: it can be tried again
    client.force_login(admin)
    page = client.get(_page(lost)).content.decode()
    assert ("The import did not finish: the server stopped working on it. Nothing was changed; "
            "try again.") in page
