"""An uploaded image may cost the server only as many pixels as a phone photo has."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from pytest_django.fixtures import Settings

from accounts.models import User
from messaging.models import Attachment, Conversation

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def encoded(fmt: str, size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "white").save(out, format=fmt)
    return out.getvalue()


def upload(client: Client, conversation: Conversation, data: bytes, name: str) -> TestResponse:
    return client.post(reverse("messaging:upload", args=[conversation.pk]),
                       {"file": SimpleUploadedFile(name, data), "no_pupils": "1"})


def test_a_small_file_of_36_megapixels_is_refused_without_being_decoded(
        client: Client, conversation_4b: Conversation, teacher: User) -> None:
    bomb = encoded("PNG", (6000, 6000), "RGBA")
    assert len(bomb) < 200_000  # a small file, 144 MB of pixels
    client.force_login(teacher)
    response = upload(client, conversation_4b, bomb, "bomb.png")
    assert response.status_code == 400
    assert response.json() == {"error": "This image is too large.", "code": "too_large",
                               "reasons": ["This image is too large."]}
    assert not Attachment.objects.exists()


def test_the_pixel_limit_is_a_setting(client: Client, conversation_4b: Conversation, teacher: User,
                                      settings: Settings) -> None:
    settings.SCHOOLCHAT_IMAGE_MAX_PIXELS = 1_000_000
    client.force_login(teacher)
    assert upload(client, conversation_4b, encoded("PNG", (1000, 1000)), "a.png").status_code == 201
    response = upload(client, conversation_4b, encoded("PNG", (1200, 1000)), "b.png")
    assert response.status_code == 400 and response.json()["code"] == "too_large"


def test_a_jpeg_over_the_limit_is_decoded_at_a_smaller_scale(client: Client, conversation_4b: Conversation,
                                                             teacher: User, settings: Settings) -> None:
    settings.SCHOOLCHAT_IMAGE_MAX_PIXELS = 1_000_000
    client.force_login(teacher)
    response = upload(client, conversation_4b, encoded("JPEG", (2000, 1500)), "big.jpg")
    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == (1000, 750)
    # Past 1/8 scale the decoder cannot shrink it enough: refused.
    response = upload(client, conversation_4b, encoded("JPEG", (9000, 8000)), "huge.jpg")
    assert response.status_code == 400 and response.json()["code"] == "too_large"


def test_the_image_and_attachment_limits_are_read_from_the_environment() -> None:
    script = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'schoolchat.settings';"
              "django.setup(); from django.conf import settings as s;"
              "print(s.SCHOOLCHAT_ATTACHMENT_MAX_BYTES, s.SCHOOLCHAT_IMAGE_MAX_PIXELS,"
              " s.SCHOOLCHAT_REQUEST_MAX_BYTES)")
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "SCHOOLCHAT_ATTACHMENT_MAX_BYTES": "5000000",
             "SCHOOLCHAT_IMAGE_MAX_PIXELS": "12000000", "SCHOOLCHAT_REQUEST_MAX_BYTES": "2000000",
             "SQLITE_PATH": "/tmp/schoolchat-settings-check.sqlite3"})
    assert result.stdout.split() == ["5000000", "12000000", "2000000"]
