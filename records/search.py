"""Records search for the DPO (FOIA/FERPA and subject access requests)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.models import Enrolment, Pupil, School, SchoolClass, User
from archive.folding import matching, terms
from archive.models import Payload, Record, Subject
from messaging.models import Conversation
from records.export import MESSAGE_KINDS

LIMIT = 200
# When a search's text or person selects at most this many records, the search is made of
# their ids (see search()).
CANDIDATES = 5000


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


def _bounded(ids: QuerySet[Any]) -> set[int] | None:
    """The ids ``ids`` selects, or None when there are more than ``CANDIDATES``."""
    found = set(ids[:CANDIDATES + 1])
    return found if len(found) <= CANDIDATES else None


def _person_records(person: User) -> QuerySet[Any]:
    named = Subject.objects.filter(user_id=person.pk).values_list("record_id", flat=True)
    wrote = Record.objects.filter(actor_id=person.pk).values_list("pk", flat=True)
    return named.union(wrote)


def search(school: School, *, person: User | None = None, pupil: Pupil | None = None,
           conversation: Conversation | None = None, date_from: date | None = None,
           date_to: date | None = None, text: str = "") -> QuerySet[Record]:
    """Archived messages of ``school`` whose content still exists, newest first.

    A person matches what they wrote and what names them; a pupil matches what tags them, what
    their own account wrote, and their class conversations. Every word of ``text`` must occur
    in the message, in any order (never the phrase, never any word), ignoring case and
    accents: the payload's folded body (archive.folding).

    The person and the text are first looked up on their own, through their indexes (the
    subjects and the records' actors, the payloads' trigram index): when either selects at
    most ``CANDIDATES`` records, the search is made of those ids, so that PostgreSQL looks
    them up, checks the rest and sorts them. Otherwise it may walk the school's records from
    the newest until the page is full, which is quick only when matches are many: with a word
    rarer than its statistics said, or a person's few messages, that walk read the whole
    archive (seconds at a million records; docs/archive.md, "Search").
    """
    school_conversations = Conversation.objects.filter(school=school).values("pk")
    rows = Record.objects.filter(
        kind__in=MESSAGE_KINDS, payload__isnull=False, conversation_id__in=school_conversations,
    )
    candidates: set[int] | None = None
    if person is not None:
        # Uses index: archive_subject_user, archive_record_actor_time.
        candidates = _bounded(_person_records(person))
        if candidates is None:
            rows = rows.filter(pk__in=_person_records(person))
    if terms(text):
        # Uses index: archive_payload_folded_trgm (PostgreSQL), unless the person's records
        # are few already: then the words are only checked on those.
        found = _bounded(Payload.objects.filter(matching("folded", text))
                         .values_list("record_id", flat=True)) if candidates is None else None
        if found is None:
            rows = rows.filter(matching("payload__folded", text))
        else:
            candidates = found
    if candidates is not None:
        rows = rows.filter(pk__in=sorted(candidates))
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
    return rows.select_related("payload", "actor").order_by("-created_at", "-pk")
