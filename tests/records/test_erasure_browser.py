"""The DPO's erasure journey and paperwork on a phone: axe finds nothing (tests/browser/a11y.py
audits every page), every control is a 44 px target with a visible focus ring, and the
erased parent's name is gone from the teacher's conversation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Guardianship, Pupil, User
from messaging.actions import send
from messaging.models import Conversation
from records import erasure
from tests.browser.a11y import small_targets, weak_focus_rings
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser


def _checked(page: Page) -> list[str]:
    return [*small_targets(page), *weak_focus_rings(page)]


def test_the_dpo_erases_a_parent_on_a_phone(
        live_server_url: str, login: Login,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User, dpo: User) -> None:
    base = live_server_url
    send.post_message(parent, conversation_4b, "Emma will be late on Monday")
    problems: list[str] = []

    page = login(base, "dpo")
    page.goto(f"{base}/archive/erasure/")
    problems += _checked(page)
    page.get_by_label("Person").select_option(label=f"{parent.public_name} ({parent.username})")
    page.get_by_label("Note").fill("Asked by e-mail")
    page.get_by_role("button", name="Record the request").click()
    expect(page.get_by_role("heading", name="What the school must keep")).to_be_visible()
    expect(page.get_by_text("Group and class chat")).to_be_visible()
    problems += _checked(page)
    page.get_by_role("button", name="Erase this person").click()
    expect(page.get_by_text("The person is erased.")).to_be_visible()
    parent.refresh_from_db()
    name = erasure.pseudonym(parent)
    expect(page.get_by_role("heading", name=f"Erasure of {name}")).to_be_visible()

    page.goto(f"{base}/archive/paperwork/")
    expect(page.get_by_role("heading", name="Retention")).to_be_visible()
    problems += _checked(page)

    page = login(base, "teacher")
    page.goto(f"{base}/c/{conversation_4b.pk}/")
    expect(page.get_by_text("Emma will be late on Monday")).to_be_visible()
    expect(page.get_by_text(name).first).to_be_visible()
    assert "Anna Jansen" not in page.content()
    assert not problems, "\n".join(problems)


def test_the_dpo_erases_a_pupil_record_on_a_phone(
        live_server_url: str, login: Login,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User, dpo: User) -> None:
    base = live_server_url
    emma = Guardianship.objects.get(guardian=parent).pupil
    Pupil.objects.filter(pk=emma.pk).update(first_name="Emmelie", last_name="Verstappen",
                                            ref="P-EMMA-1")
    problems: list[str] = []

    page = login(base, "dpo")
    page.goto(f"{base}/archive/erasure/")
    page.get_by_label("Pupil").select_option(label="Emmelie Verstappen (P-EMMA-1)")
    page.get_by_label("Note").fill("Her parents asked by letter")
    page.get_by_role("button", name="Record the request").click()
    expect(page.get_by_role("heading", name="Erasure of Emmelie Verstappen")).to_be_visible()
    expect(page.get_by_text("Their pupil record's name, date of birth")).to_be_visible()
    problems += _checked(page)
    page.get_by_role("button", name="Erase this person").click()
    expect(page.get_by_text("The person is erased.")).to_be_visible()
    emma.refresh_from_db()
    name = erasure.pupil_pseudonym(emma)
    expect(page.get_by_role("heading", name=f"Erasure of {name}")).to_be_visible()
    assert "Verstappen" not in page.content()

    page.goto(f"{base}/archive/search/?pupil={emma.pk}")
    expect(page.get_by_label("Pupil")).to_contain_text(name)
    assert "Verstappen" not in page.content()
    problems += _checked(page)
    assert not problems, "\n".join(problems)
