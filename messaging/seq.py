"""Seq allocation: every change to a conversation gets the next number of its sequence.

Seqs have no gaps or repeats, which is what lets a reconnecting client resume from the last
seq it saw (docs/protocol.md). They are taken inside the writer's transaction.
"""

from __future__ import annotations

from django.db import connection

from messaging.models import Conversation


def take_seqs(conversation: Conversation, count: int) -> int:
    """Take ``count`` consecutive seqs and return the first, inside a transaction, so seqs
    have no gaps or repeats. The UPDATE locks the conversation's row until the transaction
    ends (SQLite: the IMMEDIATE transaction holds the write lock), serialising writers to
    this conversation only; RETURNING saves a round trip on the hot path. A negative
    ``count`` gives back seqs taken in the same transaction and not used."""
    table = Conversation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + %s WHERE id = %s RETURNING last_seq",  # noqa: S608
            [count, conversation.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Conversation.DoesNotExist
    conversation.last_seq = int(row[0])
    return conversation.last_seq - count + 1


def next_seq(conversation: Conversation) -> int:
    """The one seq of a single change (an edit, a pin, a hidden photo)."""
    return take_seqs(conversation, 1)


def lock(conversation: Conversation) -> None:
    """Lock the conversation's row until the transaction ends: it serialises every writer to
    this conversation (and only this one)."""
    Conversation.objects.select_for_update().only("pk").get(pk=conversation.pk)
