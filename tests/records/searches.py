"""The DPO's search export as the pages make it: the search page's button starts a worker job
(eager in tests), the exports page offers the ZIP once it is built."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from django.test import Client, TestCase, override_settings
from django.urls import reverse

from records.models import SearchExport


def export_search(client: Client, query: str, media_root: Path | None = None) -> dict[str, bytes]:
    """Export the search ``query`` (a query string) as the signed-in DPO; the ZIP's files.
    Written under ``media_root`` (default: a new temporary folder)."""
    root = media_root or Path(tempfile.mkdtemp(prefix="search-export-"))
    with override_settings(MEDIA_ROOT=root):
        with TestCase.captureOnCommitCallbacks(execute=True):
            started = client.post(f"{reverse('archive:search_export')}?{query}")
        assert started.status_code == 302, started.content[:2000]
        assert started["Location"] == reverse("archive:exports")
        export = SearchExport.objects.order_by("-pk").first()
        assert export is not None and export.status == "done", export and export.error
        url = reverse("archive:search_download", args=[export.pk])
        assert url in client.get(reverse("archive:exports")).content.decode()
        answer = client.get(url)
        assert answer.status_code == 200
        content = b"".join(answer.streaming_content)  # type: ignore[attr-defined]
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        return {n: bundle.read(n) for n in bundle.namelist()}
