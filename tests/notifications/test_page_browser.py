"""The notifications page on a 390x844 phone in English, Dutch and Russian: one button at a
time, the one that changes this browser's state; the button waits and the page says it is
working while the browser subscribes; a push service that does not answer is said plainly
after 10 s; turning on and off lands on the other button. In Russian "Unmute" (a muted
conversation) and "Turn on notifications" read differently.

Chromium here has no push service of its own, so the page's ``PushManager`` is replaced by one
that either never answers (a push service out of reach) or answers with a device of the local
push service (tests/notifications/push_service.py), which the server accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Page, expect

from accounts.models import User
from messaging.models import Conversation
from notifications import actions as notification_actions
from notifications import vapid
from notifications.models import Device
from tests.browser.a11y import Audit  # noqa: F401
from tests.browser.conftest import axe_audit  # noqa: F401  (shared fixtures)
from tests.live import daphne_servers
from tests.notifications.push_service import PushService
from tests.notifications.test_offline_browser import Phone, fits_the_phone, installed  # noqa: F401

pytestmark = pytest.mark.browser

# The page's PushManager, as a browser whose push service answers (or not) would give it.
FAKE_PUSH = """(() => {
  if (typeof localStorage === "undefined" || typeof PushManager === "undefined") return;
  const stored = () => JSON.parse(localStorage.getItem("test-push") || "null");
  const wrap = (data) => data && ({
    endpoint: data.endpoint, toJSON: () => data,
    unsubscribe: async () => { localStorage.removeItem("test-push"); return true; },
  });
  PushManager.prototype.getSubscription = async function () { return wrap(stored()); };
  PushManager.prototype.subscribe = function () {
    const answer = localStorage.getItem("test-push-answer");
    if (!answer) return new Promise(() => {});   // the push service never answers
    localStorage.setItem("test-push", answer);
    return Promise.resolve(wrap(JSON.parse(answer)));
  };
})();"""


@pytest.fixture
def push_server(transactional_db: None, tmp_path: Path) -> Iterator[tuple[str, PushService]]:
    """A live server with a VAPID key, whose allowed push service is the local one."""
    service = PushService().start()
    key = tmp_path / "vapid.pem"
    vapid.create_key_file(key)
    env = {"SCHOOLCHAT_VAPID_PRIVATE_KEY_FILE": str(key), "SCHOOLCHAT_VAPID_PRIVATE_KEY": "",
           "SCHOOLCHAT_PUSH_SERVICES": service.origin}
    try:
        with daphne_servers(1, tmp_path, env) as servers:
            yield servers[0].url, service
    finally:
        service.stop()


def visible_buttons(page: Page) -> int:
    count: int = page.evaluate("""() => Array.from(document.querySelectorAll('#push button'))
        .filter((b) => b.offsetParent !== null).length""")
    return count


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_one_button_turns_notifications_on_and_off_and_a_silent_push_service_is_said(
        push_server: tuple[str, PushService], installed: Phone, language: str,  # noqa: F811
        parent: User, conversation_4b: Conversation) -> None:
    base, service = push_server
    parent.language = language
    parent.save(update_fields=["language"])
    with translation.override(language):
        turn_on, turn_off = _("Turn on notifications"), _("Turn off notifications on this device")
        working = _("Turning on notifications…")
        no_answer = _("The notification service of this browser did not answer in 10 seconds. "
                      "Check the connection and try again.")
        now_on, unmute = _("Notifications are on for this device."), _("Unmute")
    assert unmute != turn_on
    page = installed(base, parent)
    page.context.grant_permissions(["notifications"], origin=base)
    page.context.add_init_script(FAKE_PUSH)

    page.goto(f"{base}/notifications/")
    on = page.get_by_role("button", name=turn_on, exact=True)
    expect(on).to_be_visible()
    expect(page.get_by_role("button", name=turn_off)).to_be_hidden()
    assert visible_buttons(page) == 1
    fits_the_phone(page)

    # The push service does not answer: the page says it is working, then says so plainly.
    on.click()
    expect(page.locator("#push-status")).to_have_text(working)
    expect(on).to_be_disabled()
    expect(page.locator("#push-status")).to_have_text(no_answer, timeout=20000)
    expect(on).to_be_enabled()
    assert not Device.objects.filter(user=parent).exists()

    # It answers: the browser is subscribed, and the one button now turns it off.
    fake = service.new_device()
    page.evaluate("(answer) => localStorage.setItem('test-push-answer', answer)",
                  json.dumps(fake.subscription()))
    on.click()
    off = page.get_by_role("button", name=turn_off)
    expect(off).to_be_visible()
    expect(page.locator("#push-status")).to_have_text(now_on)
    expect(on).to_be_hidden()
    assert visible_buttons(page) == 1
    assert Device.objects.filter(user=parent, endpoint=fake.endpoint).count() == 1

    off.click()
    expect(on).to_be_visible()
    expect(off).to_be_hidden()
    assert not Device.objects.filter(user=parent).exists()

    # A muted conversation: its "Unmute" is not the same words as turning notifications on.
    notification_actions.mute(parent, conversation_4b, until=None)
    page.goto(f"{base}/c/{conversation_4b.pk}/")
    expect(page.get_by_role("button", name=unmute, exact=True)).to_be_visible()
    fits_the_phone(page)
