"""Personas shared by the whole suite.

- ``teacher``: teaches 4B; member (and manager) of the 4B class group.
- ``parent``: a parent of a 4B pupil; member of the 4B class group.
- ``parent_5a``: a parent of a 5A pupil; must have no access at all to 4B's conversation.
- ``admin``: the school admin; manages membership but is not in the 4B chat.
- ``dpo``: the data-protection officer; reads the archive, not live chats.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from pytest_django.fixtures import Settings

from accounts.models import Role, School, SchoolClass, User
from messaging import hub, socket_slots
from messaging.actions import membership
from messaging.models import Conversation
from tests.factories import PupilFactory, SchoolClassFactory, SchoolFactory, UserFactory, enrol

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(name: str, host: str, port: int) -> None:
    """Skip a test whose service is down on a developer machine; fail it in CI."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        message = f"{name} is not reachable at {host}:{port}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a missing service is a failure)")
        pytest.skip(message)


def close_connections() -> None:
    """Close this process's database connections and, on PostgreSQL, its connection pool:
    a pooled connection would otherwise outlive a change of database name and keep the test
    database busy when it is dropped.

    ``connections`` holds one wrapper per context, and a test body run while Playwright's sync
    API is open gets a wrapper of its own that the fixtures' context never sees; its pooled
    connection stays lent out after the pool closes. So every wrapper still in memory is
    closed too, which gives its connection back to the pool that then closes it."""
    for wrapper in gc.get_objects():
        # type(), not isinstance(): isinstance asks a lazy object for __class__ and evaluates it.
        if issubclass(type(wrapper), BaseDatabaseWrapper) and wrapper.connection is not None:
            with contextlib.suppress(Exception):  # one of another thread: not ours to close
                wrapper.close()
    for conn in connections.all(initialized_only=True):
        conn.close()
        close_pool = getattr(conn, "close_pool", None)
        if close_pool is not None:
            close_pool()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The test databases, with the pool closed before they are dropped."""
    yield
    with django_db_blocker.unblock():
        close_connections()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_services(settings: Settings) -> None:
    """Redis channels of this test run cannot meet those of a run sharing the same Redis, and
    Celery tasks run in the test's own process and transaction."""
    from schoolchat.celery import app

    settings.SCHOOLCHAT_REDIS_PREFIX = f"test-{uuid.uuid4().hex[:12]}:"
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Iterator[None]:
    """Django's LocaleMiddleware leaves a request's language active in the thread that served
    it, so a test that asked for Dutch or Russian pages would otherwise leave the next test on
    the same worker speaking Dutch or Russian."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_hub() -> Iterator[None]:
    """Each test gets its own hub: a hub is bound to the event loop that first used it."""
    hub.reset_hub()
    socket_slots.reset()
    yield
    hub.reset_hub()
    socket_slots.reset()


@pytest.fixture
def school(db: None) -> School:
    return SchoolFactory(name="Test Primary", slug="test-primary")


@pytest.fixture
def class_4b(school: School) -> SchoolClass:
    return SchoolClassFactory(school=school, name="4B")


@pytest.fixture
def class_5a(school: School) -> SchoolClass:
    return SchoolClassFactory(school=school, name="5A")


@pytest.fixture
def admin(school: School) -> User:
    return UserFactory(username="admin", display_name="Office", role=Role.ADMIN, school=school)


@pytest.fixture
def dpo(school: School) -> User:
    return UserFactory(username="dpo", display_name="DPO", role=Role.DPO, school=school)


@pytest.fixture
def teacher(school: School, class_4b: SchoolClass) -> User:
    user = UserFactory(username="teacher", display_name="Ms de Vries", role=Role.TEACHER,
                       school=school)
    class_4b.staff.add(user)
    return user


@pytest.fixture
def parent(school: School, class_4b: SchoolClass) -> User:
    user = UserFactory(username="parent", display_name="Anna Jansen", role=Role.PARENT,
                       school=school, phone="+31 6 5555 0101", email="anna@example.invalid")
    enrol(PupilFactory(school=school, first_name="Emma"), class_4b, user)
    return user


@pytest.fixture
def parent_5a(school: School, class_5a: SchoolClass) -> User:
    user = UserFactory(username="parent5a", display_name="Lucía García", role=Role.PARENT,
                       school=school)
    enrol(PupilFactory(school=school, first_name="Mateo"), class_5a, user)
    return user


@pytest.fixture
def conversation_4b(school: School, class_4b: SchoolClass, teacher: User, parent: User,
                    admin: User) -> Conversation:
    conversation = Conversation.objects.create(
        school=school, kind=Conversation.Kind.CLASS, school_class=class_4b
    )
    membership.add_member(conversation, teacher, actor=admin, manager=True)
    membership.add_member(conversation, parent, actor=admin)
    return conversation


@pytest.fixture
def conversation_5a(school: School, class_5a: SchoolClass, parent_5a: User,
                    admin: User) -> Conversation:
    conversation = Conversation.objects.create(
        school=school, kind=Conversation.Kind.CLASS, school_class=class_5a
    )
    membership.add_member(conversation, parent_5a, actor=admin)
    return conversation


@pytest.fixture
def announcements(school: School, teacher: User, parent: User, admin: User) -> Conversation:
    conversation = Conversation.objects.create(
        school=school, kind=Conversation.Kind.ANNOUNCEMENT, title="Announcements"
    )
    membership.add_member(conversation, teacher, actor=admin, manager=True)
    membership.add_member(conversation, parent, actor=admin)
    return conversation
