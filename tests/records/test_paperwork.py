"""The DPO's paperwork: the record of processing and a DPIA starting point, made from this
installation's configuration, in the school's language; only the DPO sees it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django.fixtures import Settings

from accounts.models import School, User
from archive.models import DEFAULT_RETENTION_DAYS, AuditEntry, Category
from records import actions, paperwork

pytestmark = pytest.mark.django_db


def test_the_record_lists_every_retention_category_with_its_period(
        client: Client, dpo: User) -> None:
    client.force_login(dpo)
    page = client.get(reverse("archive:paperwork")).content.decode()
    for value, label in Category.choices:
        assert str(label) in page
        assert f"{DEFAULT_RETENTION_DAYS[value]} days" in page
    assert "Data-protection impact assessment: starting point" in page
    assert AuditEntry.objects.filter(actor=dpo, action="paperwork.viewed").exists()


def test_changing_a_retention_period_changes_the_document(
        client: Client, dpo: User, admin: User, school: School) -> None:
    client.force_login(dpo)
    before = client.get(reverse("archive:paperwork_download")).content.decode()
    assert "| One-to-one chat | 400 days | default |" in before
    actions.set_retention(admin, school, {Category.DIRECT: 90})
    after = client.get(reverse("archive:paperwork_download")).content.decode()
    assert "| One-to-one chat | 90 days | set by the school |" in after
    assert "400 days | default" in after  # the others are unchanged
    page = client.get(reverse("archive:paperwork")).content.decode()
    assert "90 days" in page


def test_the_download_is_markdown_for_a_register(client: Client, dpo: User) -> None:
    client.force_login(dpo)
    answer = client.get(reverse("archive:paperwork_download"))
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/markdown")
    assert "record-of-processing.md" in answer["Content-Disposition"]
    text = answer.content.decode()
    assert text.startswith("# Record of processing: Schoolchat at Test Primary")
    assert "## Retention" in text and "## Security measures" in text


def test_storage_and_security_come_from_the_settings(
        dpo: User, school: School, settings: Settings) -> None:
    settings.SCHOOLCHAT_BACKUP_RECIPIENTS = []
    text = paperwork.markdown(paperwork.document(school))
    assert "Backups: not configured" in text
    assert "| Backups encrypted | off |" in text
    assert str(settings.MEDIA_ROOT) in text
    settings.SCHOOLCHAT_BACKUP_RECIPIENTS = ["age1example"]
    settings.SCHOOLCHAT_BACKUP_DIR = "/srv/backups"
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    text = paperwork.markdown(paperwork.document(school))
    assert "/srv/backups, encrypted" in text and "| Backups encrypted | on |" in text
    assert "| HTTPS enforced by the browser (HSTS) | on, 365 days |" in text
    assert "| Cookies only over HTTPS | on |" in text
    school.require_staff_2fa = False
    school.save()
    assert "| Two-factor sign-in for staff | off |" in paperwork.markdown(
        paperwork.document(school))


@pytest.mark.parametrize(("language", "expected"), [
    ("nl", "Bewaartermijnen"), ("ru", "Сроки хранения")])
def test_the_document_is_in_the_schools_language(
        client: Client, dpo: User, school: School, settings: Settings, language: str,
        expected: str) -> None:
    settings.LANGUAGE_CODE = language
    client.force_login(dpo)
    text = client.get(reverse("archive:paperwork_download")).content.decode()
    assert expected in text
    with translation.override(language):
        assert str(Category.DIRECT.label) in text


@pytest.mark.parametrize("persona", ["teacher", "parent", "admin", "parent_5a"])
def test_only_the_dpo_sees_the_paperwork(client: Client, request: pytest.FixtureRequest,
                                         persona: str) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("archive:paperwork")).status_code == 404
    assert client.get(reverse("archive:paperwork_download")).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    for name in ("archive:paperwork", "archive:paperwork_download"):
        answer = client.get(reverse(name))
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
