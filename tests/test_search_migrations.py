"""What was written before search folded text is found as anything written since: the
migrations that add the folded columns fill them (messaging 0013, archive 0006), and the
archive stays append-only through them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from accounts.models import User
from archive import chain
from messaging.actions import send
from messaging.models import Conversation

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("messaging", "0012_policy"), ("archive", "0005_retention_category_leavers")]


def _migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def test_messages_written_before_the_migrations_are_found_after_them(
        conversation_4b: Conversation, teacher: User, parent: User, dpo: User) -> None:
    send.post_message(teacher, conversation_4b, "Zoë brings the ПОЛОТЕНЦЕ")
    _migrate(BEFORE)  # back to the schema without the folded columns: they are dropped
    _migrate()
    client = Client()
    client.force_login(parent)
    assert "Zoë brings" in client.get(reverse("messaging:search"), {"q": "zoe полотенце"}
                                      ).content.decode()
    client.force_login(dpo)
    found = client.get(reverse("archive:search"), {"text": "полотенце ZOE"}).context["results"]
    assert [r.payload.content["body"] for r in found] == ["Zoë brings the ПОЛОТЕНЦЕ"]
    assert chain.verify().intact
    for statement in ("UPDATE archive_payload SET folded = 'x'", "DELETE FROM archive_payload"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
