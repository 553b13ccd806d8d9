"""The roster as schools' spreadsheets write it: semicolons or commas (the header line says
which, and the preview says what it found), UTF-8 with or without a byte-order mark or
Excel's Windows encoding, day-first dates; every message a sentence in the reader's
language."""

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Guardianship, Pupil, School, User
from accounts.roster import COLUMNS, RosterRejected, decode, import_roster
from tests.accounts.test_roster import as_csv, roster_rows

pytestmark = pytest.mark.django_db

# What Dutch Excel saves as "CSV (puntkomma's)": semicolons, day-first dates, ja/nee,
# Windows-1252 with accents, CRLF line ends.
DUTCH_EXCEL = (
    ";".join(COLUMNS) + "\r\n"
    "L001;Chloé;van Dijk;14-03-2016;Groep 6A;O001;Renée van Dijk;renee@example.invalid;"
    "moeder;ja\r\n"
    "L002;Daniël;Bakker;01-09-2015;Groep 6A;O002;Jürgen Bakker;;vader;nee\r\n"
)


def _upload(client: Client, content: bytes, language: str = "en") -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(reverse("accounts:school_roster"),
                           {"file": SimpleUploadedFile("leerlingen.csv", content)})
    return str(response.content.decode())


def test_a_dutch_excel_file_imports_through_the_page(
        client: Client, admin: User, school: School,
        django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[object]]) -> None:
    client.force_login(admin)
    html = _upload(client, DUTCH_EXCEL.encode("cp1252"), "nl")
    assert "Kolommen gescheiden door puntkomma&#x27;s." in html
    assert "Gelezen als West-Europese (Windows-)tekst, zoals Excel die opslaat." in html
    assert "Nieuwe leerling L001 Chloé van Dijk" in html
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(reverse("accounts:school_roster"),
                              {"confirm": client.session["accounts_roster_preview"]["sha256"]})
    # The worker applied it (eagerly here); the import's page says what it did.
    applied = client.get(applied["Location"])
    assert applied.status_code == 200 and applied.context["job"].state == "done"
    chloe = Pupil.objects.get(school=school, ref="L001")
    assert (chloe.first_name, str(chloe.date_of_birth)) == ("Chloé", "2016-03-14")
    assert Guardianship.objects.get(pupil=chloe).parental_responsibility is True
    assert Guardianship.objects.get(pupil__ref="L002").parental_responsibility is False
    assert User.objects.get(school=school, ref="O002").display_name == "Jürgen Bakker"


def test_a_utf8_file_with_excels_byte_order_mark_and_semicolons_imports(school: School) -> None:
    text, encoding = decode(b"\xef\xbb\xbf" + DUTCH_EXCEL.encode("utf-8"))
    assert encoding == "utf-8-sig" and not text.startswith("\ufeff")
    report = import_roster(school, text, encoding=encoding)
    assert report.delimiter == ";" and report.read_as == ""
    assert report.separated_by == "Columns separated by semicolons."
    assert Pupil.objects.get(ref="L002").first_name == "Daniël"


def test_a_comma_file_says_so(school: School) -> None:
    report = import_roster(school, as_csv(roster_rows(count=2)), dry_run=True)
    assert report.separated_by == "Columns separated by commas."


def test_a_latin1_file_reads_its_accents() -> None:
    text, encoding = decode("L001;Zoë;Ørsted".encode("latin-1"))
    assert text == "L001;Zoë;Ørsted" and encoding == "cp1252"


@pytest.mark.parametrize(("language", "header", "row"), [
    ("en", "Line 1: The first line must name the columns",
     "Line 2: the date of birth “31-02-2016” is not a date: write it as 2016-03-14 or 14-03-2016."),
    ("nl", "Regel 1: De eerste regel moet de kolommen",
     "Regel 2: de geboortedatum “31-02-2016” is geen datum: schrijf hem als 2016-03-14 of "
     "14-03-2016."),
    ("ru", "Строка 1: Первая строка должна называть столбцы",
     "Строка 2: дата рождения «31-02-2016» — не дата: пишите её как 2016-03-14 или 14-03-2016."),
])
def test_errors_are_sentences_in_the_readers_language(school: School, language: str,
                                                       header: str, row: str) -> None:
    bad_header = "leerling;naam\r\nL001;Chloé\r\n"
    bad_row = DUTCH_EXCEL.replace("14-03-2016", "31-02-2016")
    with translation.override(language):
        with pytest.raises(RosterRejected) as rejected:
            import_roster(school, bad_header)
        [problem] = rejected.value.errors
        assert problem.startswith(header)
        assert "leerling, naam" in problem  # the columns it does not know, named
        with pytest.raises(RosterRejected) as rejected:
            import_roster(school, bad_row)
        assert rejected.value.errors == [row]
    assert not Pupil.objects.exists()


def test_the_preview_and_its_errors_are_translated_on_the_page(client: Client,
                                                               admin: User) -> None:
    client.force_login(admin)
    html = _upload(client, as_csv(roster_rows(count=2)).encode(), "ru")
    assert "Столбцы разделены запятыми." in html
    assert "Новый ученик P0000" in html and "Ученики: 2 создано" in html
    bad = _upload(client, DUTCH_EXCEL.replace(";ja", ";misschien").encode("utf-8"), "nl")
    assert "Regel 2: ouderlijk gezag (parental_responsibility) moet ja of nee zijn." in bad
    assert not Pupil.objects.exists()
