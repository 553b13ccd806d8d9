"""A school made before patterns ran on the linear-time engine keeps its four rewritten
defaults as defaults: migration 0003 rewrites their stored texts (and back), so they screen
again and stay switched on or off as the lead left them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from safeguarding import actions, screen
from safeguarding.defaults import DEFAULTS
from safeguarding.models import Pattern
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("safeguarding", "0002_default_patterns")]
AFTER = [("safeguarding", "0003_defaults_for_the_linear_engine")]
OLD_GA_DOOD = r"(?<!ik )\bga (?:toch |maar )?dood\b(?!\s+van\b)"
OLD_NAAKT = r"\bnaakt ?foto'?s?\b"


def _migrate(to: list[tuple[str, str]]) -> object:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(to)
    return executor.loader.project_state(to).apps


def test_stored_old_defaults_become_the_new_ones_and_run() -> None:
    school = SchoolFactory(name="Old school", slug="old")
    apps = _migrate(BEFORE)
    pattern_model = apps.get_model("safeguarding", "Pattern")  # type: ignore[attr-defined]
    pattern_model.objects.create(school_id=school.pk, language="nl", category="bullying",
                                 kind="regex", text=OLD_GA_DOOD, active=True)
    pattern_model.objects.create(school_id=school.pk, language="nl", category="sexual",
                                 kind="regex", text=OLD_NAAKT, active=False)
    assert screen.not_running("regex", OLD_GA_DOOD)  # the engine cannot run the old text

    _migrate(AFTER)
    texts = dict(Pattern.objects.filter(school_id=school.pk).values_list("category", "text"))
    expected = {category: text for category, kind, text in DEFAULTS["nl"]
                if (category, text) in {("bullying", r"(?<!ik )\bga (?:toch |maar )?dood\b(?!\svan\b)"),
                                        ("sexual", r"\bnaakt ?foto(?:'?s)?\b")}}
    assert texts == expected
    rewritten = Pattern.objects.filter(school_id=school.pk)
    assert all(actions.is_default(p) and not screen.not_running(p.kind, p.text)
               for p in rewritten)
    assert dict(rewritten.values_list("category", "active")) == {"bullying": True,
                                                                 "sexual": False}
    rules = screen.rules_of(school.pk)
    assert [f["matched"] for f in screen.matches("Ga toch dood", rules)] == ["Ga toch dood"]
    assert screen.matches("ik ga dood van het lachen", rules) == []

    _migrate(BEFORE)
    assert set(Pattern.objects.filter(school_id=school.pk).values_list("text", flat=True)) == {
        OLD_GA_DOOD, OLD_NAAKT}
    _migrate(AFTER)
