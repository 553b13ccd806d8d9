"""Records search for the DPO (FOIA/FERPA and subject access requests)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.models import Enrolment, Pupil, School, SchoolClass, User
from archive.folding import matching
from archive.models import Record, Subject
from messaging.models import Conversation
from records.export import MESSAGE_KINDS

LIMIT = 200


def school_scopes(school: School) -> Q:
    """A filter on ``scope`` (of a Record or a Chain) for the chains of one school: its own,
    its DPO's and retention's, and those of its conversations, classes and pupils. The global
    seal chain belongs to no school."""
    pk = school.pk
    match = Q(scope__in=[f"school:{pk}", f"dpo:{pk}", f"retention:{pk}",
                          f"safeguarding:{pk}"])
    for prefix, owned in (("conversation:", Conversation.objects.filter(school=school)),
                          ("class:", SchoolClass.objects.filter(school=school)),
                          ("pupil:", Pupil.objects.filter(school=school))):
        names = owned.order_by().annotate(
            scope_name=Concat(Value(prefix), Cast("pk", CharField()), output_field=CharField())
        ).values("scope_name")
        match |= Q(scope__in=names)
    return match


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search(school: School, *, person: User | None = None, pupil: Pupil | None = None,
           conversation: Conversation | None = None, date_from: date | None = None,
           date_to: date | None = None, text: str = "") -> QuerySet[Record]:
    """Archived messages of ``school`` whose content still exists, newest first.

    A person matches what they wrote and what names them; a pupil matches what tags them, what
    their own account wrote, and their class conversations.
    """
    school_conversations = Conversation.objects.filter(school=school).values("pk")
    rows = Record.objects.filter(
        kind__in=MESSAGE_KINDS, payload__isnull=False, conversation_id__in=school_conversations,
    )
    if person is not None:
        named = Subject.objects.filter(user_id=person.pk).values("record_id")
        rows = rows.filter(Q(actor_id=person.pk) | Q(pk__in=named))
    if pupil is not None:
        tagged = Subject.objects.filter(pupil_id=pupil.pk).values("record_id")
        classes = Enrolment.objects.filter(pupil=pupil).values("school_class_id")
        in_class = Conversation.objects.filter(school_class_id__in=classes).values("pk")
        match: Any = Q(pk__in=tagged) | Q(conversation_id__in=in_class)
        if pupil.user_id:
            match |= Q(actor_id=pupil.user_id)
        rows = rows.filter(match)
    if conversation is not None:
        rows = rows.filter(conversation_id=conversation.pk)
    if date_from is not None:
        rows = rows.filter(created_at__gte=_start_of(date_from))
    if date_to is not None:
        rows = rows.filter(created_at__lt=_start_of(date_to + timedelta(days=1)))
    # Every word must occur in the message, in any order (never the phrase, never any word),
    # ignoring case and accents: the payload's folded body (archive.folding; uses index:
    # archive_payload_folded_trgm on PostgreSQL).
    rows = rows.filter(matching("payload__folded", text))
    return rows.select_related("payload", "actor").order_by("-created_at", "-pk")
