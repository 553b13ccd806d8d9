"""The nl and ru catalogues are complete and compiled (CONTRIBUTING.md, "Translations").

Every string marked for translation anywhere in the project is extracted the way
`make messages` does it (`manage.py messages`, in a scratch copy so nothing here changes) and
must have a Dutch and a Russian translation in some catalogue; every catalogue must be free
of fuzzy and untranslated entries, and its .mo must be compiled from its .po.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("nl", "ru")
CATALOGUES = sorted(ROOT.glob("*/locale/*/LC_MESSAGES/django.po"))
# Which source files belong to which part of the project.
AREAS = {
    "accounts": ("accounts/", "templates/accounts/", "templates/registration/"),
    "consent": ("consent/", "templates/consent/"),
    "foundation": ("schoolchat/", "templates/base.html"),
    "messaging": ("messaging/", "templates/messaging/"),
    "archive": ("archive/",),
    "records": ("records/", "templates/records/"),
    "notifications": ("notifications/", "templates/notifications/"),
    "safeguarding": ("safeguarding/", "templates/safeguarding/"),
    "polls": ("polls/", "templates/polls/"),
    "agenda": ("agenda/", "templates/agenda/"),
    "sso": ("sso/", "templates/sso/"),
    "absence": ("absence/", "templates/absence/"),
    "api": ("api/", "templates/api/"),
    "meetings": ("meetings/", "templates/meetings/"),
    "activities": ("activities/", "templates/activities/"),
}
# Parts with untranslated strings that their owners still have to translate. Strict: once
# they are complete this fails, so the entry is removed.
INCOMPLETE: dict[str, str] = {}


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        message = f"{tool} (GNU gettext) is not installed"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _catalog(mo: Path) -> dict[str, str]:
    with mo.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


def test_there_are_catalogues_for_every_language_of_every_app() -> None:
    apps = {p.parts[len(ROOT.parts)] for p in CATALOGUES}
    assert {"accounts", "consent", "messaging"} <= apps
    for app in apps:
        for language in LANGUAGES:
            assert (ROOT / app / "locale" / language / "LC_MESSAGES" / "django.po").exists()


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_catalogue_has_no_fuzzy_or_untranslated_entry(po: Path) -> None:
    _need("msgfmt")
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    summary = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ translated messages?\.", summary), summary


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_mo_file_is_compiled_from_the_po_file(po: Path, tmp_path: Path) -> None:
    _need("msgfmt")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(po)], check=True)
    assert _catalog(po.with_suffix(".mo")) == _catalog(fresh), "run make messages"


def _unquote(lines: str) -> str:
    """The value of a PO string that may span several quoted lines."""
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    joined = "".join(re.findall(r'^"(.*)"$', lines, re.M))
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), joined)


def _extracted(tmp_path: Path) -> dict[str, set[str]]:
    """msgid -> source files, extracted by `manage.py messages` from a copy of the sources."""
    _need("xgettext")
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns("locale", "__pycache__", "*.pyc", "static", "media")
    for name in ("manage.py",):
        copy.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, copy / name)
    for folder in ("schoolchat", "observability", "templates", *AREAS):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, copy / folder, ignore=ignore, dirs_exist_ok=True)
    subprocess.run([sys.executable, "manage.py", "messages", "-l", "nl"],
                   cwd=copy, check=True, capture_output=True,
                   env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                        "SQLITE_PATH": str(tmp_path / "db.sqlite3")})
    found: dict[str, set[str]] = {}
    for po in copy.glob("**/locale/nl/LC_MESSAGES/django.po"):
        for block in po.read_text(encoding="utf-8").split("\n\n"):
            match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
            if not match or block.lstrip().startswith("#~"):
                continue
            key = _unquote(match.group(1))
            if not key:
                continue
            context = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
            if context:
                key = f"{_unquote(context.group(1))}\x04{key}"
            files = set(" ".join(re.findall(r"^#: (.*)$", block, re.M)).split())
            found.setdefault(key, set()).update(files)
    return found


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    return _extracted(tmp_path_factory.mktemp("messages"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("area", [
    pytest.param(area, marks=pytest.mark.xfail(strict=True, reason=INCOMPLETE[area]))
    if area in INCOMPLETE else area
    for area in AREAS
])
def test_every_marked_string_has_a_translation(extracted: dict[str, set[str]], area: str,
                                               language: str) -> None:
    translated: dict[str, str] = {}
    for po in CATALOGUES:
        if po.parts[-3] == language:
            translated.update({k: v for k, v in _catalog(po.with_suffix(".mo")).items() if v})
    keys = {k if isinstance(k, str) else k[0] for k in translated}
    missing = sorted(
        f"{sorted(files)[0]}: {msgid!r}" for msgid, files in extracted.items()
        if any(f.startswith(AREAS[area]) for f in files) and msgid not in keys
    )
    assert missing == []
