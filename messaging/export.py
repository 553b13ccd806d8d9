"""What a subject access export reads about conversations.

``records.export`` builds the bundle from the archive's records; memberships, the pupil tags on
photos, the stored files and the conversations' titles live here, in messaging's tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from archive.retention import ids_param
from messaging.attachments import shown_ids
from messaging.events import describe_sensitive
from messaging.models import Attachment, Conversation, Membership, Message


class MembershipRow(NamedTuple):
    """One period of a person's membership of a conversation."""

    conversation_id: int
    kind: str
    started_at: datetime
    ended_at: datetime | None


class StoredFile(NamedTuple):
    """An attachment still held, as an export describes it."""

    token: str
    name: str
    content_type: str
    size: int
    sha256: str
    hidden: bool
    pupil_ids: list[int]
    file: Any  # the stored file, opened when the bundle is written


class ConversationExport:
    """What ``records.export`` reads about conversations, over messaging's tables."""

    def memberships(self, user_id: int) -> list[MembershipRow]:
        rows = (Membership.objects.filter(user_id=user_id).order_by("started_at")
                .values_list("conversation_id", "conversation__kind", "started_at", "ended_at"))
        return [MembershipRow(*row) for row in rows]

    def messages_tagging(self, pupil_id: int) -> QuerySet[Any]:
        return (Attachment.objects.filter(pupils=pupil_id).filter(message__isnull=False)
                .values("message_id"))

    def attachments(self, tokens: set[str]) -> list[StoredFile]:
        held = list(Attachment.objects.filter(token__in=tokens).prefetch_related("pupils"))
        shown = shown_ids(held)  # the one answer to "may this photo be seen"
        return [
            StoredFile(a.token, a.name, a.content_type, a.size, a.sha256, a.pk not in shown,
                       [p.pk for p in a.pupils.all()], a.file)
            for a in held
        ]

    def sensitivity(self, message_ids: set[int]) -> dict[int, str]:
        """message id -> its category, for the messages staff marked sensitive. The ids go to
        the database as one parameter: an export asks about 10,000s of messages, and a
        placeholder per id costs more than the query."""
        vendor = connections[Message.objects.db].vendor
        # A fixed text; the ids are its parameter.
        listed = RawSQL(("SELECT unnest(%s::bigint[])" if vendor == "postgresql"  # noqa: S611
                         else "SELECT value FROM json_each(%s)"),
                        [ids_param(vendor, sorted(message_ids))])
        return dict(Message.objects.filter(pk__in=listed).exclude(sensitive="").order_by()
                    .values_list("pk", "sensitive"))

    def describe_sensitive(self, category: str) -> str:
        """"A sensitive message (health)", in the active language."""
        return describe_sensitive(category)

    def titles(self, conversation_ids: set[int]) -> dict[int, str]:
        """Each conversation's name in the active language (the export's reader's)."""
        return {c.pk: c.name for c in Conversation.objects.filter(pk__in=conversation_ids)
                .select_related("school_class")}

