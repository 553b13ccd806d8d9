"""The app shell the service worker keeps holds every module of the chat page: one missing
module (imported by another) and the page offline runs none of its script."""

from __future__ import annotations

from pathlib import Path

from notifications.views import SHELL

ROOT = Path(__file__).resolve().parent.parent.parent


def test_every_chat_module_is_in_the_shell() -> None:
    modules = {f"js/chat/{p.name}" for p in (ROOT / "static" / "js" / "chat").glob("*.js")}
    assert modules <= set(SHELL)
