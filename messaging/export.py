"""What a subject access export reads about conversations, registered with the archive.

``archive.export`` builds the bundle from the archive's records; memberships, the pupil tags on
photos, the stored files and the conversations' titles live here, so messaging registers
:class:`ConversationExport` (``archive.export.register_conversations``) from its ``ready``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from archive.export import MembershipRow, StoredFile, register_conversations
from messaging.attachments import shown_ids
from messaging.models import Attachment, Conversation, Membership


class ConversationExport:
    """``archive.export.Conversations`` over messaging's tables."""

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

    def titles(self, conversation_ids: set[int]) -> dict[int, str]:
        """Each conversation's name in the active language (the export's reader's)."""
        return {c.pk: c.name for c in Conversation.objects.filter(pk__in=conversation_ids)
                .select_related("school_class")}


def register() -> None:
    """Tell the archive what an export reads about conversations (from ``ready``)."""
    register_conversations(ConversationExport())
