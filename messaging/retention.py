"""What retention purges of messaging's rows: expired messages and everything that exists for them.

Registered with the archive (``archive.retention.register_purger``) for the chat categories by
``MessagingConfig.ready``; the archive chooses the batches, writes the purge record and deletes
the payloads, then calls :meth:`MessagePurger.delete` in the same transaction. See the design
notes at the top of ``archive/retention.py`` and docs/archive.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.db.models import Q, QuerySet

from accounts.models import Enrolment, Guardianship, Pupil, School
from archive.models import Category, LegalHold
from archive.retention import Expired, ids_param, one_of, register_purger
from messaging.models import Attachment, Conversation, Membership, Message

KINDS_OF: dict[str, list[str]] = {
    Category.CHAT: [Conversation.Kind.CLASS, Conversation.Kind.GROUP],
    Category.DIRECT: [Conversation.Kind.DIRECT],
    Category.ANNOUNCEMENTS: [Conversation.Kind.ANNOUNCEMENT],
}


def held_conversation_ids(school: School, moment: datetime) -> set[int]:
    """Conversations a legal hold in force keeps whole: held directly; every conversation of a
    held person; a held pupil's class conversations, those of their own account and their
    guardians' one-to-ones."""
    return conversations_kept_by(holds_in_force(school, moment))


def holds_in_force(school: School, moment: datetime) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(school=school, placed_at__lte=moment).filter(
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=moment)
    )


def conversations_kept_by(holds: QuerySet[LegalHold]) -> set[int]:
    """The conversations these holds keep whole (see :func:`held_conversation_ids`)."""
    held: set[int] = set()
    users: set[int] = set()
    pupils: list[int] = []
    for conv, user, pupil in holds.values_list("conversation_id", "user_id", "pupil_id"):
        if conv:
            held.add(conv)
        if user:
            users.add(user)
        if pupil:
            pupils.append(pupil)
    if pupils:
        classes = Enrolment.objects.filter(pupil_id__in=pupils).values("school_class_id")
        held.update(Conversation.objects.filter(school_class_id__in=classes)
                    .values_list("pk", flat=True))
        users.update(u for u in Pupil.objects.filter(pk__in=pupils)
                     .values_list("user_id", flat=True) if u)
        guardians = Guardianship.objects.filter(pupil_id__in=pupils).values("guardian_id")
        held.update(Membership.objects.filter(
            user_id__in=guardians, conversation__kind=Conversation.Kind.DIRECT,
        ).values_list("conversation_id", flat=True))
    if users:
        held.update(Membership.objects.filter(user_id__in=users)
                    .values_list("conversation_id", flat=True))
    return held


def _with_attachments() -> QuerySet[Any]:
    return Attachment.objects.filter(message__isnull=False).values("message_id")


def _expired(school: School, category: str, cutoff: datetime,
             attachment_cutoff: datetime | None = None) -> QuerySet[Message]:
    """Messages past their category's policy, and messages carrying attachments past the
    attachments policy when that one is shorter."""
    expired = Q(created_at__lt=cutoff)
    if attachment_cutoff is not None and attachment_cutoff > cutoff:
        expired |= Q(created_at__lt=attachment_cutoff, pk__in=_with_attachments())
    return Message.objects.filter(
        expired, conversation__school=school, conversation__kind__in=KINDS_OF[category],
    )


def _is_plain(model: type[models.Model]) -> bool:
    """Rows that nothing else points at and that hold no stored files: one DELETE will do."""
    opts = model._meta
    return (not opts.related_objects and not opts.many_to_many
            and not any(isinstance(f, models.FileField) for f in opts.concrete_fields))


def _pointing_at_messages() -> list[Any]:
    """Every foreign key and one-to-one link to a message, including those without a reverse
    accessor (``related_name="+"``: a reply's ``reply_to``, a sent scheduled message, the poll a
    message announces), which ``_meta.related_objects`` leaves out; missing one fails the batch
    at commit."""
    return [f for f in Message._meta.get_fields(include_hidden=True)
            if (f.one_to_many or f.one_to_one) and f.auto_created and not f.concrete]


def delete_live_messages(ids: list[int]) -> int:
    """Delete the messages, what exists only for them, and their stored files (after commit).

    Rows that point at a message (receipts, events, acknowledgements, attachments) are part of
    that message for retention, whatever their ``on_delete``: they go first, each table with one
    statement; links that merely refer to it (a reply's ``reply_to``) are cleared. Tables whose
    rows have dependents of their own or stored files (attachments: pupil tags, the file) go
    through Django's deletion, and only when the batch has any. The messages then go with one
    plain DELETE: Django's deletion collector would load every row into memory first.
    """
    connection = transaction.get_connection()
    vendor = connection.vendor
    # Only quoted table and column names from the models' metadata go into the SQL text.
    quote = connection.ops.quote_name
    one_of_ids = one_of(vendor)
    param = ids_param(vendor, ids)
    files: list[tuple[Any, str]] = []
    with connection.cursor() as cursor:
        for relation in _pointing_at_messages():
            model = relation.related_model
            table, column = quote(model._meta.db_table), quote(relation.field.column)
            if relation.on_delete is models.SET_NULL:
                cursor.execute(f"UPDATE {table} SET {column} = NULL "  # noqa: S608
                               f"WHERE {column} {one_of_ids}", [param])
                continue
            if _is_plain(model):
                cursor.execute(f"DELETE FROM {table} WHERE {column} {one_of_ids}",  # noqa: S608
                               [param])
                continue
            cursor.execute(f"SELECT 1 FROM {table} WHERE {column} {one_of_ids} LIMIT 1",  # noqa: S608
                           [param])
            if cursor.fetchone() is None:
                continue
            rows = model._base_manager.filter(**{f"{relation.field.name}__in": ids})
            for field in model._meta.concrete_fields:
                if isinstance(field, models.FileField):
                    files += [(field.storage, name) for name in
                              rows.exclude(**{field.name: ""}).values_list(field.name, flat=True)]
            rows.delete()
        cursor.execute(f"DELETE FROM {quote(Message._meta.db_table)} WHERE "  # noqa: S608
                       f"{quote(Message._meta.pk.column)} {one_of_ids}", [param])
        deleted: int = cursor.rowcount

    if files:
        def remove_files() -> None:
            for storage, name in files:
                storage.delete(name)

        transaction.on_commit(remove_files)
    return deleted


class MessagePurger:
    """Retention of one chat category's messages (``archive.retention.Purger``)."""

    def __init__(self, category: str) -> None:
        self.category = category

    def expired(self, school: School, cutoff: datetime, attachment_cutoff: datetime | None,
                now: datetime) -> Expired:
        held = held_conversation_ids(school, now)
        expired = _expired(school, self.category, cutoff, attachment_cutoff)
        return Expired(free=expired.exclude(conversation_id__in=held).order_by("pk"),
                       held=expired.filter(conversation_id__in=held))

    def first_due(self, free: QuerySet[Any]) -> datetime | None:
        return free.order_by("created_at").values_list("created_at", flat=True).first()

    def attachments(self, free: QuerySet[Any]) -> int:
        return Attachment.objects.filter(message__in=free).count()

    def delete(self, ids: list[int]) -> int:
        return delete_live_messages(ids)


def register() -> None:
    """Tell the archive what retention purges for each chat category (from ``ready``)."""
    for category in KINDS_OF:
        register_purger(category, MessagePurger(category))
