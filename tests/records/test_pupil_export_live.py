"""A pupil's subject access export through the live server on a committing database: in the
demo school the DPO asks for Дмитрий's export, reviews what was written about him (his
guardian's "will be late on Thursday (dentist at 9:00)" among it), and downloads a ZIP that
holds it."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from accounts.models import Pupil, User
from archive.models import Record, SubjectAccessExport
from tests.http import LiveClient

pytestmark = pytest.mark.django_db(transaction=True)

DENTIST = "Дмитрий will be late on Thursday (dentist at 9:00)."


def test_the_dpo_reviews_dmitris_export_and_it_holds_the_dentist_message(
        live_server: LiveServer, settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", force=True, stdout=io.StringIO())
    dmitri = Pupil.objects.get(ref="P4B02")
    dpo, teacher = User.objects.get(username="dpo"), User.objects.get(username="teacher")
    privacy = LiveClient(live_server.url, dpo)
    review_url = reverse("archive:review", args=[dmitri.pk])

    chosen = privacy.post(reverse("archive:exports"), {"pupil": dmitri.pk})
    assert chosen.status == 200 and chosen.url.endswith(review_url), chosen.text[:2000]
    assert DENTIST in html.unescape(chosen.text)
    assert not SubjectAccessExport.objects.exists()  # nothing is made before the review

    keys = sorted(set(re.findall(r'name="decision-([^"]+)"', chosen.text)))
    assert keys
    decisions: dict[str, str] = {}
    for key in keys:
        decisions |= {f"decision-{key}": "include", f"reason-{key}": "Written about Дмитрий"}
    released = privacy.post(review_url, decisions)
    assert released.status == 200 and released.url.endswith(reverse("archive:exports"))
    export = SubjectAccessExport.objects.get(subject_pupil=dmitri)
    assert export.status == "done", export.error
    link = reverse("archive:download", args=[export.pk])
    assert link in released.text

    with privacy.opener.open(live_server.url + link, timeout=30) as answer:
        bundle = zipfile.ZipFile(io.BytesIO(answer.read()))
    data = json.loads(bundle.read("data.json"))
    assert [row["review"] for row in data["about_the_pupil"] if row["text"] == DENTIST] == [
        "reviewed"]
    assert data["review"]["included"] == len(keys) and data["review"]["left_out"] == 0
    assert DENTIST in html.unescape(bundle.read("index.html").decode())
    assert Record.objects.filter(kind="export.reviewed", actor=dpo).count() == 1

    # The teacher reaches neither the review nor the file.
    juf = LiveClient(live_server.url, teacher)
    assert juf.get(review_url).status == 404
    assert juf.post(review_url, decisions, form_page="/").status == 404
    assert juf.get(link).status == 404
    assert SubjectAccessExport.objects.count() == 1
