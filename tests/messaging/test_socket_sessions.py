"""An open socket lives no longer than the session it was opened with.

A logout closes that session's sockets; a password reset, a role change, a reset second factor
or a deactivation ends every session of the person and closes all their sockets; and a socket
whose session vanished from the store, expired or no longer matches the password is closed by
its own periodic check.
"""

from datetime import timedelta
from importlib import import_module

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from accounts import twofactor
from accounts.actions import twofactor as twofactor_actions
from accounts.actions.invitations import accept_invitation, issue_invitation
from accounts.models import Invitation, Role, User
from messaging.consumers import ChatConsumer
from tests.fault.chat_client import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

new_session = database_sync_to_async(session_cookie)


async def open_with_session(user: User, key: str | None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/")
    communicator.scope["user"] = user
    communicator.scope["session"] = import_module(settings.SESSION_ENGINE).SessionStore(key)
    connected, code = await communicator.connect()
    assert connected, code
    assert (await communicator.receive_json_from())["type"] == "hello"
    return communicator


async def closed_with(communicator: WebsocketCommunicator, timeout: float = 2) -> int | None:
    """The close code the server sent within ``timeout`` seconds."""
    while True:
        output = await communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            code: int | None = output.get("code")
            return code


async def still_open(communicator: WebsocketCommunicator) -> None:
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=2) == {"type": "pong"}


@database_sync_to_async
def live_sessions(user: User) -> int:
    return sum(str(s.get_decoded().get("_auth_user_id")) == str(user.pk)
               for s in Session.objects.all())


@database_sync_to_async
def log_out(key: str) -> None:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    assert client.post("/logout/").status_code == 302


async def test_logout_closes_the_sockets_of_that_session_only(parent: User) -> None:
    first_key, second_key = await new_session(parent), await new_session(parent)
    first = await open_with_session(parent, first_key)
    other_tab = await open_with_session(parent, first_key)
    other_browser = await open_with_session(parent, second_key)
    await log_out(first_key)
    assert await closed_with(first) == 4401
    assert await closed_with(other_tab) == 4401
    await still_open(other_browser)
    await other_browser.disconnect()


@database_sync_to_async
def reset_password(user: User) -> None:
    invitation, _token = issue_invitation(
        user, purpose=Invitation.Purpose.RESET)
    accept_invitation(invitation, "a new long passphrase 42")


@database_sync_to_async
def deactivate(user: User) -> None:
    user.is_active = False
    user.save()


@database_sync_to_async
def change_role(user: User) -> None:
    user.role = Role.STAFF
    user.save(update_fields=["role"])


@database_sync_to_async
def reset_second_factor(user: User, admin: User) -> None:
    User.objects.filter(pk=user.pk).update(totp_secret=twofactor.new_secret(),
                                           totp_confirmed_at=timezone.now())
    user.refresh_from_db()
    twofactor_actions.reset_second_factor(user, actor=admin)


@pytest.mark.parametrize(("change", "code"), [
    ("password reset", 4401), ("deactivation", 4403), ("role change", 4401),
    ("two-factor reset", 4401),
])
async def test_a_change_to_the_account_ends_every_session_and_socket(teacher: User, admin: User, change: str,
                                                                     code: int) -> None:
    keys = [await new_session(teacher), await new_session(teacher)]
    sockets = [await open_with_session(teacher, key) for key in keys]
    unrelated = await open_with_session(admin, await new_session(admin))
    if change == "password reset":
        await reset_password(teacher)
    elif change == "deactivation":
        await deactivate(teacher)
    elif change == "role change":
        await change_role(teacher)
    else:
        await reset_second_factor(teacher, admin)
    assert [await closed_with(s) for s in sockets] == [code, code]
    assert await live_sessions(teacher) == 0
    await still_open(unrelated)
    await unrelated.disconnect()


@database_sync_to_async
def harmless_changes(user: User) -> None:
    user.display_name = "Mrs Bakker"
    user.save()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])


async def test_other_changes_to_the_account_leave_sessions_alone(teacher: User) -> None:
    key = await new_session(teacher)
    socket = await open_with_session(teacher, key)
    await harmless_changes(teacher)
    await still_open(socket)
    assert await live_sessions(teacher) == 1
    await socket.disconnect()


@database_sync_to_async
def behind_the_store(user: User, key: str, what: str) -> None:
    """Changes no announcement covers: only the socket's own check can notice them."""
    if what == "deleted":
        Session.objects.filter(session_key=key).delete()
    elif what == "expired":
        Session.objects.filter(session_key=key).update(
            expire_date=timezone.now() - timedelta(seconds=1))
    elif what == "password":
        User.objects.filter(pk=user.pk).update(password="md5$other$0123")
    else:
        User.objects.filter(pk=user.pk).update(is_active=False)


@pytest.mark.parametrize(("what", "code"), [("deleted", 4401), ("expired", 4401),
                                            ("password", 4401), ("inactive", 4403)])
async def test_the_socket_rechecks_its_session(settings: Settings, parent: User, what: str,
                                               code: int) -> None:
    settings.SCHOOLCHAT_SOCKET_RECHECK_SECONDS = 0.2
    socket = await open_with_session(parent, await new_session(parent))
    await still_open(socket)
    await behind_the_store(parent, socket.scope["session"].session_key, what)
    assert await closed_with(socket) == code


async def test_a_valid_session_passes_the_recheck(settings: Settings, parent: User) -> None:
    settings.SCHOOLCHAT_SOCKET_RECHECK_SECONDS = 0.1
    socket = await open_with_session(parent, await new_session(parent))
    assert await socket.receive_nothing(timeout=0.5)
    await still_open(socket)
    await socket.disconnect()


async def test_one_round_of_rechecks_closes_only_the_sockets_whose_session_ended(
        settings: Settings, parent: User, teacher: User) -> None:
    """The process rechecks all its sockets together: a person's ended session closes that
    session's socket, and the same person's other session and another person stay open."""
    settings.SCHOOLCHAT_SOCKET_RECHECK_SECONDS = 0.2
    ended = await open_with_session(parent, await new_session(parent))
    other_tab = await open_with_session(parent, await new_session(parent))
    colleague = await open_with_session(teacher, await new_session(teacher))
    await behind_the_store(parent, ended.scope["session"].session_key, "deleted")
    assert await closed_with(ended) == 4401
    for socket in (other_tab, colleague):
        await still_open(socket)
        await socket.disconnect()
