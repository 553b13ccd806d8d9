"""The roster page's everyday help: a template file with the columns in the school's language
(and such a header read as the English one), a warning naming the lines whose names lost
letters to "?" in a Windows-1252 export, and no stray "This field is required" when a
confirmation is answered with the page again."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Pupil, RosterImport, School, User
from accounts.roster import COLUMNS, columns_in

pytestmark = pytest.mark.django_db

# A Turkish family's names (Ayşe Yılmaz) as a Windows-1252 export writes them.  # noqa: RUF003
LOST = (
    "L001;Ay?e;Y?lmaz;14-03-2016;Groep 6A;O001;Fatma Y?lmaz;;moeder;ja\r\n"
    "L002;Daan;Bakker;01-09-2015;Groep 6A;O002;Jan Bakker;;vader;nee\r\n"
    "L003;Emre;Kaya;01-09-2015;Groep 6A;O003;Hac? Kaya;;vader;ja\r\n"
)


def signed_in(user: User, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_the_template_names_the_columns_in_the_schools_language(
        admin: User, school: School, parent: User) -> None:
    school.language = "nl"
    school.save()
    response = signed_in(admin).get(reverse("accounts:school_roster_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text), delimiter=";")) == columns_in("nl")
    assert columns_in("nl")[0] == "leerling_ref"
    assert signed_in(parent).get(reverse("accounts:school_roster_template")).status_code == 404


def test_a_header_in_the_schools_language_is_read_and_lost_letters_are_named_by_line(
        admin: User, school: School) -> None:
    school.language = "nl"
    school.save()
    content = (";".join(columns_in("nl")) + "\r\n" + LOST).encode("cp1252")
    page = signed_in(admin).post(reverse("accounts:school_roster"),
                                 {"file": SimpleUploadedFile("leerlingen.csv", content)})
    html = page.content.decode()
    assert page.status_code == 200, html
    assert "Lines 2, 4 have names with “?” where letters were lost (“Ay?e”)" in html
    assert "New pupil L001" in html
    english = (",".join(COLUMNS) + "\r\n" + LOST.replace(";", ",")).encode("cp1252")
    page = signed_in(admin, "nl").post(reverse("accounts:school_roster"),
                                       {"file": SimpleUploadedFile("x.csv", english)})
    assert "Regels 2, 4 hebben namen met “?”" in page.content.decode()
    assert not Pupil.objects.exists()  # a preview changes nothing


def test_a_clean_file_gets_no_warning(admin: User, school: School) -> None:
    content = (",".join(COLUMNS) + "\r\n" + LOST.replace("?", "s").replace(";", ",")).encode()
    page = signed_in(admin).post(reverse("accounts:school_roster"),
                                 {"file": SimpleUploadedFile("x.csv", content)})
    assert page.status_code == 200 and "where letters were lost" not in page.content.decode()


def test_confirming_while_an_import_runs_says_so_without_a_stray_field_error(
        admin: User, school: School) -> None:
    RosterImport.objects.create(school=school, started_by=admin, text="…", state="running",
                                lines_done=1, lines_total=10)
    page = signed_in(admin).post(reverse("accounts:school_roster"), {"confirm": "abc"})
    html = page.content.decode()
    assert page.status_code == 409
    assert "A roster import is already running" in html
    assert "This field is required" not in html
