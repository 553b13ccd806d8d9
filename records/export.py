"""Subject access export: everything the school holds about one person or one pupil, as a ZIP.

The bundle (format ``schoolchat-subject-access/1``, see docs/archive.md):
- ``data.json``: profile, role, memberships with dates, guardianships, consent records, every
  message the subject sent, every message in a conversation while they were a member, every
  message tagging the pupil, and the archive events that concern them;
- ``index.html``: the same, readable in any browser on its own (no scripts, no external assets);
- ``attachments/``: stored files of those messages, when there are any;
- ``manifest.json``: the SHA-256 of every other file and the chain heads the export was cut from.

Messages come from the archive, not the live tables: the archive also holds edited and
retracted versions, and its timestamps are those of the server, so "while they were a member"
is decided by the time the message was really posted. Content purged under retention is gone
from the export too; only a count of purged messages remains.

Other private individuals (parents, pupils, anyone without a staff role) are pseudonymised
consistently within one bundle ("Parent 1", "Pupil 1"); staff are named, as they act for the
school. The subject's own children are named in the guardianship section: the subject has
parental responsibility for them.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html import escape as esc
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, NamedTuple

from django.db import connections
from django.db.models import Q, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import STAFF_ROLES, Guardianship, Pupil, Role, User
from archive import scopes, sections
from archive.models import Chain, Record, Subject
from archive.sections import Candidate
from consent.models import ConsentRecord
from messaging.export import ConversationExport, MembershipRow
from messaging.models import Conversation
from records import lines, private_files, releases
from records.models import ErasureRequest

FORMAT = "schoolchat-subject-access/1"
MESSAGE_KINDS = ("message.posted", "message.edited", "message.retracted")
Progress = Callable[[int], None]


# What an export reads about conversations (memberships, photo tags, stored files, titles)
# comes from messaging, which owns those tables.
_conversations = ConversationExport()


class Names:
    """Consistent pseudonyms within one export; staff keep their names."""

    def __init__(self, subject_user: User | None, subject_pupil: Pupil | None) -> None:
        self.subject_user_id = subject_user.pk if subject_user else None
        self.subject_pupil_id = subject_pupil.pk if subject_pupil else None
        self._users: dict[int, User] = {}
        self._given: dict[tuple[str, int], str] = {}
        self._counts: dict[str, int] = {}
        self._erased: set[int] = set()

    def load(self, user_ids: Iterable[int | None]) -> None:
        wanted = {u for u in user_ids if u is not None and u not in self._users}
        if wanted:
            for user in User.objects.filter(pk__in=wanted).select_related("pupil_record"):
                self._users[user.pk] = user
            # An erased person is named by their pseudonym, the same in every export.
            self._erased |= set(ErasureRequest.objects.filter(
                person_id__in=wanted, state=ErasureRequest.State.ERASED,
            ).values_list("person_id", flat=True))

    def _pseudonym(self, key: tuple[str, int], label: str) -> str:
        if key not in self._given:
            self._counts[label] = self._counts.get(label, 0) + 1
            self._given[key] = f"{label} {self._counts[label]}"
        return self._given[key]

    def user(self, user_id: int | None) -> str:
        if user_id is None:
            return "Schoolchat"
        self.load([user_id])
        user = self._users.get(user_id)
        if user is None:
            return self._pseudonym(("u", user_id), "Person")
        if user.pk == self.subject_user_id or user.pk in self._erased:
            return user.public_name
        pupil = getattr(user, "pupil_record", None)
        if pupil is not None:
            return self.pupil(pupil.pk)
        if user.role in STAFF_ROLES:
            return user.public_name
        return self._pseudonym(("u", user.pk), "Parent" if user.role == Role.PARENT else "Person")

    def pupil(self, pupil_id: int) -> str:
        if pupil_id == self.subject_pupil_id:
            pupil = Pupil.objects.get(pk=pupil_id)
            return f"{pupil.first_name} {pupil.last_name}"
        return self._pseudonym(("p", pupil_id), "Pupil")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _subject_user_of(user: User | None, pupil: Pupil | None) -> User | None:
    return user if user is not None else (pupil.user if pupil is not None else None)


class Row(NamedTuple):
    """The columns of a message record an export needs (no model instances: 10,000s of rows)."""

    pk: int
    hash: str
    message_id: int | None
    kind: str
    conversation_id: int | None
    position: int
    created_at: datetime
    actor_id: int | None
    content: dict[str, Any] | None  # None once retention deleted the payload


ROW_COLUMNS = ("id", "hash", "message_id", "kind", "conversation_id", "position", "created_at",
               "actor_id")


CHUNK = 500  # records in memory at a time when an export is streamed


def _row_values(records: QuerySet[Record]) -> QuerySet[Any]:
    """The columns of a ``Row``, the payload read as its JSON text (decoded in Python with the
    C decoder: the JSON field's own conversion costs a Python call chain per row)."""
    return (records.annotate(_content=Cast("payload__content", TextField()))
            .values_list(*ROW_COLUMNS, "_content"))


def _to_rows(fetched: Iterable[tuple[Any, ...]]) -> list[Row]:
    loads = json.loads
    return [Row(pk, digest, message_id, kind, conversation_id, position, created_at, actor_id,
                None if text is None else loads(text))
            for pk, digest, message_id, kind, conversation_id, position, created_at, actor_id, text
            in fetched]


def rows_of(records: QuerySet[Record]) -> list[Row]:
    """The rows, all at once (no model instances: 10,000s of rows)."""
    rows = _row_values(records)
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return _to_rows(rows)  # SQLite's timestamps need the ORM's conversion
    # The ORM's own query, fetched in one go: PostgreSQL's values need no conversion.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _to_rows(cursor.fetchall())


def _record_chunks(ids: list[int]) -> Iterator[list[Row]]:
    """The rows of these records (ordered by conversation, then position), ``CHUNK`` at a
    time: a query per chunk of ids, each an index look-up, so one chunk is in memory."""
    for chunk in _chunks(ids, CHUNK):
        yield rows_of(Record.objects.filter(pk__in=chunk).order_by("conversation_id",
                                                                     "position"))


def _message_query(account: User | None, pupil: Pupil | None,
                   memberships: list[MembershipRow]) -> QuerySet[Record]:
    """The subject's messages, messages in their conversations while members, pupil tags."""
    condition = Q(pk__in=[])
    if account is not None:
        condition |= Q(actor_id=account.pk)
    for m in memberships:
        window = Q(conversation_id=m.conversation_id, created_at__gte=m.started_at)
        if m.ended_at is not None:
            window &= Q(created_at__lte=m.ended_at)
        condition |= window
    if pupil is not None:
        condition |= Q(pk__in=Subject.objects.filter(pupil_id=pupil.pk).values("record_id"))
        # Photos tagging the pupil (the tags live on the attachment).
        condition |= Q(message_id__in=_conversations.messages_tagging(pupil.pk))
    return Record.objects.filter(condition, kind__in=MESSAGE_KINDS).order_by("conversation_id",
                                                                              "position")


def _message_records(account: User | None, pupil: Pupil | None,
                     memberships: list[MembershipRow]) -> list[Row]:
    return rows_of(_message_query(account, pupil, memberships))


def _attachments(tokens: set[str], names: Names) -> dict[str, tuple[dict[str, Any], Any]]:
    """token -> (description, the stored file or None) for the attachments still held.

    A photo goes into the bundle when members may see it now (``hidden`` is False: messaging
    answers that with its one rule of who may see a photo), or when it tags the pupil the
    export is about (their own data). A photo hidden after a withdrawal is described
    (``"hidden": true``) without its file: the bundle must not hand out again what a family
    withdrew.
    """
    found: dict[str, tuple[dict[str, Any], Any]] = {}
    for a in _conversations.attachments(tokens):
        included = not a.hidden or names.subject_pupil_id in a.pupil_ids
        safe = re.sub(r"[^\w.-]", "_", a.name)[:100]
        path = f"attachments/{a.token[:16]}-{safe}" if included else None
        found[a.token] = ({
            "name": a.name, "file": path, "content_type": a.content_type, "size": a.size,
            "sha256": a.sha256, "hidden": a.hidden,
            "tagged_pupils": [names.pupil(p) for p in a.pupil_ids],
        }, a.file if included else None)
    return found


def _titles(records: Iterable[Row], extra: set[int]) -> dict[int | None, str]:
    return _conversation_titles({r.conversation_id for r in records} | extra)


def _conversation_titles(ids: set[int | None]) -> dict[int | None, str]:
    return {pk: title for pk, title in
            _conversations.titles({pk for pk in ids if pk is not None}).items()}


def _messages(records: list[Row], names: Names, titles: dict[int | None, str],
              account: User | None, *, hide_sensitive: bool = True,
              stored: dict[str, tuple[dict[str, Any], Any]] | None = None,
              marked: dict[int, str] | None = None,
              ) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
    """The exportable form of message records: (messages, how many purged, ZIP path -> file).

    With ``hide_sensitive`` (a subject access export), a message staff marked sensitive is
    "A sensitive message (health)" without its text or files, unless the subject sent it:
    one person's export never hands out what the school kept out of everyone's previews
    (docs/policy.md). The DPO's own search bundle keeps it (``hide_sensitive=False``).
    ``stored`` and ``marked``: the attachments of every record and the messages marked
    sensitive, when the records come a chunk at a time (:func:`_attachments` once for all of
    them: it numbers the pupils they tag)."""
    names.load(r.actor_id for r in records)
    if not hide_sensitive:
        marked = {}
    elif marked is None:
        marked = _conversations.sensitivity(
            {r.message_id for r in records if r.message_id is not None})
    messages: list[dict[str, Any]] = []
    purged = 0
    if stored is None:
        tokens = {t for r in records if r.content is not None
                  for t in (r.content.get("attachments") or [])}
        stored = _attachments(tokens, names) if tokens else {}
    files: dict[str, Any] = {}
    # One pseudonym lookup per sender, in order of first appearance as before (the numbering).
    senders: dict[int | None, str] = {}
    account_id = account.pk if account is not None else None
    kinds = {kind: kind.split(".", 1)[1] for kind in MESSAGE_KINDS}
    for rec in records:
        body = rec.content
        if body is None:
            purged += 1
            continue
        sender = senders.get(rec.actor_id)
        if sender is None:
            sender = senders[rec.actor_id] = names.user(rec.actor_id)
        listed: list[str] = body.get("attachments") or []
        by_subject = account_id is not None and rec.actor_id == account_id
        category = (marked.get(rec.message_id) or body.get("sensitive") or ""  # type: ignore[arg-type]
                    ) if hide_sensitive else ""
        text = body.get("body", "")
        if category and not by_subject:
            text, listed = _conversations.describe_sensitive(str(category)), []
        # Named with "@" (messaging.mentions): the record lists the subject's account.
        mentioned = account_id is not None and account_id in (body.get("mentions") or ())
        messages.append({
            "record": rec.pk,
            "record_hash": rec.hash,
            "message": rec.message_id,
            "kind": kinds.get(rec.kind) or rec.kind.split(".", 1)[1],
            "conversation": titles.get(rec.conversation_id, ""),
            "conversation_id": rec.conversation_id,
            "seq": body.get("seq"),
            "at": rec.created_at.isoformat() if rec.created_at else None,
            "sender": sender,
            "by_subject": by_subject,
            "body": text,
            **({"sensitive": category} if category else {}),
            **({"mentions_subject": True} if mentioned else {}),
            "attachments": [stored[t][0] for t in listed if t in stored] if listed else [],
        })
        for token in listed:
            if token in stored and stored[token][1] is not None:
                files[stored[token][0]["file"]] = stored[token][1]
    return messages, purged, files


def collect(user: User | None = None, pupil: Pupil | None = None, *,
            progress: Progress | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Everything about one subject, as plain data (pseudonymised), in memory.

    The stored files of attachments are listed in ``data["messages"][i]["attachments"]`` and
    returned, for the bundle only, under the private key ``"_files"`` (ZIP path -> file).
    :func:`write` streams the same bundle to a file instead.
    """
    report = progress or (lambda pct: None)
    account, names, memberships = _subject(user, pupil)
    report(10)
    records = _message_records(account, pupil, memberships)
    report(40)
    titles = _titles(records, {m.conversation_id for m in memberships})
    messages, purged, files = _messages(records, names, titles, account)
    report(70)
    data = _sections(user, pupil, names, now or timezone.now(), memberships, titles,
                     messages, purged, [r.pk for r in records])
    data.update({"_files": files, "_names": names})
    report(85)
    return data


def _subject(user: User | None, pupil: Pupil | None,
             ) -> tuple[User | None, Names, list[MembershipRow]]:
    """The subject's account (a pupil's own, if any), the bundle's pseudonyms, memberships."""
    if (user is None) == (pupil is None):
        raise ValueError("export one subject: a user or a pupil")
    account = _subject_user_of(user, pupil)
    memberships = _conversations.memberships(account.pk) if account is not None else []
    return account, Names(account, pupil), memberships


def _sections(user: User | None, pupil: Pupil | None, names: Names, moment: datetime,
              memberships: list[MembershipRow], titles: dict[int | None, str],
              messages: list[dict[str, Any]], purged: int,
              message_records: list[int]) -> dict[str, Any]:
    """data.json's sections. Pseudonyms are numbered in order of first use: the messages'
    (:func:`_messages`) come first, then these, in this order."""
    account = _subject_user_of(user, pupil)
    return {
        "format": FORMAT,
        "generated_at": moment.isoformat(),
        "subject": _profile(user, pupil, names),
        "memberships": [
            {"conversation": titles.get(m.conversation_id, ""),
             "conversation_id": m.conversation_id, "kind": m.kind,
             "started_at": _iso(m.started_at), "ended_at": _iso(m.ended_at)}
            for m in memberships
        ],
        "guardianships": _guardianships(account, pupil, names),
        "consent_records": _consent(account, pupil, names),
        "messages": messages,
        "purged_messages": purged,
        "events": _events(account, pupil, names, message_records),
        # Safeguarding records are withheld from ``events``; only those the DPO released.
        "safeguarding": releases.released_rows(account, pupil, names.user),
    }


def _profile(user: User | None, pupil: Pupil | None, names: Names) -> dict[str, Any]:
    if user is not None:
        return {
            "type": "user", "username": user.username, "display_name": user.public_name,
            "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "phone": user.phone, "role": user.role, "roles": [user.get_role_display()],
            "school": str(user.school) if user.school else None,
            "active": user.is_active, "joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login), "sourced_id": user.sourced_id,
        }
    assert pupil is not None
    enrolments = [
        {"class": e.school_class.name, "from": str(e.starts_on),
         "until": str(e.ends_on) if e.ends_on else None}
        for e in pupil.enrolments.select_related("school_class").order_by("starts_on")
    ]
    return {
        "type": "pupil", "ref": pupil.ref, "name": f"{pupil.first_name} {pupil.last_name}",
        "date_of_birth": str(pupil.date_of_birth) if pupil.date_of_birth else None,
        "school": str(pupil.school), "left_on": str(pupil.left_on) if pupil.left_on else None,
        "has_account": pupil.user_id is not None, "roles": ["pupil"], "enrolments": enrolments,
        "sourced_id": pupil.sourced_id,
    }


def _guardianships(account: User | None, pupil: Pupil | None,
                   names: Names) -> list[dict[str, Any]]:
    rows = []
    if account is not None:
        for g in Guardianship.objects.filter(guardian=account).select_related("pupil"):
            rows.append({"pupil": f"{g.pupil.first_name} {g.pupil.last_name}",
                         "pupil_ref": g.pupil.ref, "relationship": g.relationship,
                         "parental_responsibility": g.parental_responsibility})
    if pupil is not None:
        for g in Guardianship.objects.filter(pupil=pupil).order_by("pk"):
            rows.append({"guardian": names.user(g.guardian_id), "relationship": g.relationship,
                         "parental_responsibility": g.parental_responsibility})
    return rows


def _consent(account: User | None, pupil: Pupil | None, names: Names) -> list[dict[str, Any]]:
    condition = Q(pk__in=[])
    if account is not None:
        condition |= Q(guardian=account) | Q(
            pupil__in=Guardianship.objects.filter(guardian=account).values("pupil_id"))
    if pupil is not None:
        condition |= Q(pupil=pupil)
    subject_children = set(
        Guardianship.objects.filter(guardian=account).values_list("pupil_id", flat=True)
    ) if account is not None else set()
    rows = []
    for c in (ConsentRecord.objects.filter(condition)
              .select_related("form__purpose", "pupil").order_by("decided_at", "pk")):
        own = c.pupil_id in subject_children or (pupil is not None and c.pupil_id == pupil.pk)
        rows.append({
            "consent_record": c.pk,
            "pupil": f"{c.pupil.first_name} {c.pupil.last_name}" if own else names.pupil(c.pupil_id),
            "purpose": c.form.purpose.code, "purpose_name": c.form.purpose.name,
            "form_version": c.form.version, "decision": c.decision, "method": c.method,
            "guardian": names.user(c.guardian_id), "recorded_by": names.user(c.recorded_by_id),
            "decided_at": _iso(c.decided_at),
        })
    return rows


EVENT_CANDIDATES_LISTED = 5000


def _events(account: User | None, pupil: Pupil | None, names: Names,
            message_records: Iterable[int] = ()) -> list[dict[str, Any]]:
    """Archive records naming the subject, other than messages. ``message_records``: ids of
    records already known to be messages, which need not be looked at again."""
    condition = Q(pk__in=[])
    if account is not None:
        condition |= Q(user_id=account.pk)
    if pupil is not None:
        condition |= Q(pupil_id=pupil.pk)
    # The subject's own record ids first (index archive_subject_user / _pupil), less the
    # messages already read: asked as one subquery, PostgreSQL scanned every record for the
    # few that are not messages.
    candidates = set(Subject.objects.filter(condition).values_list("record_id", flat=True))
    candidates.difference_update(message_records)
    if not candidates:
        return []
    ids: Any = (sorted(candidates) if len(candidates) <= EVENT_CANDIDATES_LISTED
                else Subject.objects.filter(condition).values("record_id"))
    # Safeguarding records never: the person reported must not learn who reported them, nor
    # get the hashes to try guesses against (records/releases.py).
    found = list(Record.objects.filter(pk__in=ids).exclude(kind__in=MESSAGE_KINDS)
                 .exclude(releases.withheld())
                 .select_related("payload").order_by("created_at", "pk"))
    contents = [_payload(rec) for rec in found]
    # What each event says, as the audit pages say it, with the export's own pseudonyms.
    said = lines.Names(contents)
    said.users = {pk: names.user(pk) for pk in said.users}
    children = set(Guardianship.objects.filter(guardian=account).values_list(
        "pupil_id", flat=True)) if account is not None else set()
    said.pupils = {pk: (name if pk in children or (pupil is not None and pk == pupil.pk)
                        else names.pupil(pk)) for pk, name in said.pupils.items()}
    rows = []
    for rec, content in zip(found, contents, strict=True):
        rows.append({"record": rec.pk, "kind": rec.kind, "at": _iso(rec.created_at),
                     "by": names.user(rec.actor_id), "record_hash": rec.hash,
                     "description": lines.sentence(rec.kind, content, said)})
    return rows


def _payload(record: Record) -> dict[str, Any]:
    try:
        content = record.payload.content
    except Record.payload.RelatedObjectDoesNotExist:  # purged under retention
        return {}
    return content if isinstance(content, dict) else {}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


NONE = "\u2013"  # an en dash: nothing to show

# What index.html says of a message that is not simply posted.
KIND_LABELS: dict[str, Callable[[], str]] = {
    "edited": lambda: _("edited"), "retracted": lambda: _("retracted"),
}


def _when(value: Any) -> str:
    """An ISO timestamp of data.json as the reader's language writes it."""
    moment = parse_datetime(str(value)) if value else None
    if moment is None:
        return NONE
    return formats.date_format(timezone.localtime(moment) if timezone.is_aware(moment)
                               else moment, "DATETIME_FORMAT")


def _day(value: Any) -> str:
    day = parse_date(str(value)) if value else None
    return formats.date_format(day, "DATE_FORMAT") if day else NONE


def _yes_no(value: Any) -> str:
    return _("yes") if value else _("no")


def _role_label(value: Any) -> str:
    try:
        return str(Role(value).label)
    except ValueError:
        return _("another role")


def readable(data: dict[str, Any], names: Names) -> dict[str, Any]:
    """What index.html shows: the bundle's facts with labels a parent reads, in the active
    language (the subject's), no internal codes or ids. data.json keeps the codes."""
    subject = data.get("subject") or {}
    profile: list[tuple[str, str]] = []
    if subject.get("type") == "user":
        profile = [
            (_("Name"), subject.get("display_name") or NONE),
            (_("First name"), subject.get("first_name") or NONE),
            (_("Last name"), subject.get("last_name") or NONE),
            (_("User name"), subject.get("username") or NONE),
            (_("E-mail address"), subject.get("email") or NONE),
            (_("Phone"), subject.get("phone") or NONE),
            (_("Role"), _role_label(subject.get("role"))),
            (_("School"), subject.get("school") or NONE),
            (_("Account in use"), _yes_no(subject.get("active"))),
            (_("Account made on"), _when(subject.get("joined"))),
            (_("Last signed in"), _when(subject.get("last_login"))),
            (_("Identifier in the school's records system"), subject.get("sourced_id") or NONE),
        ]
    elif subject.get("type") == "pupil":
        classes = ", ".join(
            _("%(class)s from %(start)s until %(end)s") % {
                "class": e["class"], "start": _day(e["from"]), "end": _day(e["until"])}
            for e in subject.get("enrolments") or [])
        profile = [
            (_("Name"), subject.get("name") or NONE),
            (_("Pupil number at the school"), subject.get("ref") or NONE),
            (_("Date of birth"), _day(subject.get("date_of_birth"))),
            (_("School"), subject.get("school") or NONE),
            (_("Leaves on"), _day(subject.get("left_on"))),
            (_("Has an account"), _yes_no(subject.get("has_account"))),
            (_("Classes"), classes or NONE),
            (_("Identifier in the school's records system"), subject.get("sourced_id") or NONE),
        ]
    kinds = {str(k): str(v) for k, v in Conversation.Kind.choices}
    decisions = {str(k): str(v) for k, v in ConsentRecord.Decision.choices}
    methods = {str(k): str(v) for k, v in ConsentRecord.Method.choices}
    return {
        "generated": _when(data.get("generated_at")),
        "profile": profile,
        "search": _criteria(data.get("search") or {}, names),
        "memberships": [
            {"conversation": m["conversation"], "kind": kinds.get(m["kind"], ""),
             "from": _when(m["started_at"]), "until": _when(m["ended_at"])
             if m["ended_at"] else NONE} for m in data.get("memberships") or []],
        "guardianships": [
            {"who": g.get("pupil") or g.get("guardian"),
             "relationship": g.get("relationship") or "",
             "responsible": _yes_no(g.get("parental_responsibility"))}
            for g in data.get("guardianships") or []],
        "consent": [
            {"at": _when(c["decided_at"]), "pupil": c["pupil"],
             "purpose": _("%(purpose)s (version %(version)s)") % {
                 "purpose": c["purpose_name"], "version": c["form_version"]},
             "decision": _("%(decision)s, %(method)s") % {
                 "decision": decisions.get(c["decision"], ""),
                 "method": methods.get(c["method"], "")},
             "by": c["guardian"]} for c in data.get("consent_records") or []],
        "events": [{"at": _when(e["at"]), "what": e.get("description") or "", "by": e["by"]}
                   for e in data.get("events") or []],
        "safeguarding": [{"at": _when(e["at"]), "what": e["description"], "by": e["by"],
                          "why": e["released_because"]}
                         for e in data.get("safeguarding") or []],
    }


def _criteria(criteria: dict[str, Any], names: Names) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, label in (("person", _("Person")), ("pupil", _("Pupil")),
                       ("conversation", _("Conversation")), ("date_from", _("From")),
                       ("date_to", _("Until")), ("text", _("Text"))):
        value = criteria.get(key)
        if not value:
            continue
        if key == "person":
            shown = names.user(int(value))
        elif key == "pupil":
            shown = names.pupil(int(value))
        elif key == "conversation":
            shown = _conversations.titles({int(value)}).get(int(value), NONE)
        elif key in ("date_from", "date_to"):
            shown = _day(value)
        else:
            shown = str(value)
        rows.append((str(label), shown))
    return rows


# Format characters that show seconds or less; without them a time is written per minute.
_BELOW_A_MINUTE = frozenset("suvUcrB")


class _Times:
    """index.html's times of many messages, each minute formatted once: the languages' formats
    show minutes, and formatting (time zone, translated month) is the costliest part of a row.
    Keyed by the ISO text cut to the minute, with its offset."""

    def __init__(self) -> None:
        shown = str(formats.get_format("DATETIME_FORMAT"))
        self.memo: dict[str, str] | None = None if _BELOW_A_MINUTE & set(shown) else {}

    def __call__(self, value: Any) -> str:
        if self.memo is None or not isinstance(value, str) or value[16:17] != ":":
            return _when(value)
        minute = value[:16] + value[19:].lstrip(".0123456789")
        shown = self.memo.get(minute)
        if shown is None:
            shown = self.memo[minute] = _when(minute)
        return shown


def _message_rows(messages: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """index.html's row of each message, with its conversation's title: rendered here, as a
    template loop over 10,000s of rows is the slowest part of an export. Every value goes
    through ``html.escape``."""
    escaped: dict[str, str] = {}  # senders: a few names, thousands of rows
    when = _Times()
    for m in messages:
        said = KIND_LABELS.get(m["kind"])
        kind = f' <span class="muted">({esc(str(said()))})</span>' if said else ""
        if m.get("mentions_subject"):
            named = _("mentions the subject")
            kind += f' <span class="muted">({esc(named)})</span>'
        links = "".join(
            (f'<br><a href="{esc(a["file"])}">{esc(a["name"])}</a>' if a["file"]
             else f'<br>{esc(a["name"])}')
            + (f' ({esc(", ".join(a["tagged_pupils"]))})' if a["tagged_pupils"] else "")
            for a in m["attachments"]
        ) if m["attachments"] else ""
        sender = escaped.get(m["sender"])
        if sender is None:
            sender = escaped[m["sender"]] = esc(m["sender"])
        yield m["conversation"], (
            f'<tr><td>{esc(when(m["at"]))}{kind}</td><td>{sender}</td>'
            f'<td class="body">{esc(m["body"] or "")}{links}</td></tr>'
        )


def _message_groups(messages: list[dict[str, Any]]) -> list[tuple[str, SafeString]]:
    """The rows by conversation title, in order of first appearance."""
    groups: dict[str, list[str]] = {}
    for title, row in _message_rows(messages):
        rows = groups.get(title)
        if rows is None:
            rows = groups[title] = []
        rows.append(row)
    # Safe: every interpolated value went through html.escape.
    return [(title, SafeString("\n".join(rows))) for title, rows in groups.items()]


GROUP_END = "</table>\n"


def _group_head(title: str) -> str:
    """What comes before a conversation's rows in index.html; each row then ends with a
    newline, and the group with ``GROUP_END``."""
    return (f"\n<h3>{conditional_escape(title)}</h3>\n<table>\n"
            f'  <tr><th scope="col">{esc(_("When"))}</th><th scope="col">{esc(_("From"))}</th>'
            f'<th scope="col">{esc(_("Message"))}</th></tr>\n  ')


def _no_messages() -> str:
    return f"<p>{esc(_('None.'))}</p>\n"


def _messages_html(messages: list[dict[str, Any]]) -> SafeString:
    """index.html's messages section, a table per conversation title (in memory)."""
    groups = _message_groups(messages)
    if not groups:
        return SafeString(_no_messages())
    return SafeString("".join(_group_head(title) + rows + "\n" + GROUP_END
                              for title, rows in groups))


def bundle(data: dict[str, Any]) -> bytes:
    """The ZIP: data.json, index.html, attachments/ and manifest.json."""
    stored = data.pop("_files", {})
    names = data.pop("_names", None) or Names(None, None)
    files: dict[str, bytes] = {
        # No indent: the C encoder; index.html is the human-readable copy.
        "data.json": json.dumps(data, ensure_ascii=False, sort_keys=True).encode(),
        "index.html": render_to_string(
            "records/export_index.html",
            {"data": data, "view": readable(data, names),
             "message_groups": _messages_html(data["messages"]),
             "about": readable_about(data)},
        ).encode(),
    }
    for path, field_file in stored.items():
        try:
            with field_file.open("rb") as handle:
                files[path] = handle.read()
        except FileNotFoundError:
            continue  # deleted from disk since; data.json still lists it
    drawn_on = {scopes.conversation(m["conversation_id"]) for m in data["messages"]}
    drawn_on |= {scopes.conversation(m["conversation_id"]) for m in data["memberships"]}
    # Only the chains the export draws on (not every chain's head).
    chains = {scope: (length, head) for scope, length, head in
              Chain.objects.filter(scope__in=drawn_on).values_list("scope", "length", "head_hash")}
    seal = Record.objects.filter(scope=scopes.SEAL).order_by("-position").first()
    manifest = {
        "format": FORMAT,
        "generated_at": data["generated_at"],
        "files": {name: _sha256(content) for name, content in sorted(files.items())},
        "chain_heads": {s: {"length": chains[s][0], "hash": chains[s][1]}
                        for s in sorted(drawn_on) if s in chains},
        "latest_seal": {"record": seal.pk, "hash": seal.hash} if seal else None,
    }
    out = io.BytesIO()
    # Level 1: a third of the default's deflate time for a ZIP about 15 % larger.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive_zip:
        for name, content in files.items():
            archive_zip.writestr(name, content)
        archive_zip.writestr("manifest.json",
                             json.dumps(manifest, indent=2, sort_keys=True).encode())
    return out.getvalue()


def write(path: Path, user: User | None = None, pupil: Pupil | None = None, *,
          progress: Progress | None = None, now: datetime | None = None) -> tuple[str, int]:
    """Build the export for one subject into ``path``, streamed; return its SHA-256 and message
    count. The bundle is the one :func:`collect` and :func:`bundle` make in memory, byte for
    byte, but the messages are read ``CHUNK`` records at a time from a server-side cursor and
    written straight into data.json, their rows of index.html into a temporary file, so the
    worker holds one chunk, whatever the number of messages.

    Pseudonyms are numbered by the messages first, and data.json lists sections that use them
    before the messages (its keys are sorted), so a first, light pass over the same records
    (ids, senders, attachment lists: no bodies) numbers them before anything is written."""
    report = progress or (lambda pct: None)
    account, names, memberships = _subject(user, pupil)
    moment = (now or timezone.now())
    report(10)
    records = _message_query(account, pupil, memberships)
    first = _first_pass(records, names)
    titles = _conversation_titles(first.conversations
                                  | {m.conversation_id for m in memberships})
    data = _sections(user, pupil, names, moment, memberships, titles, [], first.purged,
                     first.records)
    report(40)
    private_files.make_folder(path.parent)
    partial = path.with_name(f"{path.name}.partial")
    digests: dict[str, str] = {}
    with (private_files.create(partial) as raw,
          zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
          tempfile.SpooledTemporaryFile(max_size=ROWS_IN_MEMORY) as rows):
        with out.open("data.json", "w") as member:
            written = _Hashed(member)
            streamed = _write_data(written, data, _stream_messages(
                names, titles, account, first, rows))
        digests["data.json"] = written.digest.hexdigest()
        report(70)
        with out.open("index.html", "w") as member:
            written = _Hashed(member)
            _write_index(written, data, names, streamed, rows)
        digests["index.html"] = written.digest.hexdigest()
        report(85)
        digests.update(_copy_files(out, streamed.files))
        drawn_on = streamed.conversations | {m.conversation_id for m in memberships}
        out.writestr("manifest.json", json.dumps(
            _manifest(FORMAT, data["generated_at"], digests,
                      {scopes.conversation(pk) for pk in drawn_on}),
            indent=2, sort_keys=True).encode())
    partial.replace(path)
    report(100)
    return _file_sha256(path), streamed.count


# index.html's rows of a streamed export wait in a temporary file, in memory up to this size.
ROWS_IN_MEMORY = 8 << 20


@dataclass
class _FirstPass:
    """What the first pass over an export's message records learnt (ids, not contents)."""

    records: list[int]
    conversations: set[int | None]
    purged: int
    stored: dict[str, tuple[dict[str, Any], Any]]
    marked: dict[int, str]  # message id -> category, for those staff marked sensitive


def _first_pass(records: QuerySet[Record], names: Names) -> _FirstPass:
    """Number the pseudonyms as :func:`_messages` would over all the records at once: the
    pupils tagged in their attachments first, then each sender in order of first appearance."""
    ids: list[int] = []
    conversations: set[int | None] = set()
    actors: list[int | None] = []
    tokens: set[str] = set()
    purged = 0
    messages: set[int] = set()
    light = records.values_list("pk", "conversation_id", "message_id", "actor_id",
                                "payload__record_id",
                                KeyTextTransform("attachments", "payload__content"))
    for (pk, conversation_id, message_id, actor_id, payload,
         attachments) in _small_rows(light):
        ids.append(pk)
        conversations.add(conversation_id)
        if payload is None:
            purged += 1
            continue
        actors.append(actor_id)
        if message_id is not None:
            messages.add(message_id)
        if attachments and attachments != "[]":
            tokens.update(json.loads(attachments))
    names.load(set(actors))
    stored = _attachments(tokens, names) if tokens else {}
    for actor_id in dict.fromkeys(actors):
        names.user(actor_id)
    marked = _conversations.sensitivity(messages) if messages else {}
    return _FirstPass(ids, conversations, purged, stored, marked)


def _small_rows(rows: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of a few numbers and short texts each, fetched with the query, not through a
    server-side cursor: outside a transaction that is a cursor ``WITH HOLD``, whose result the
    server materialises and which PostgreSQL plans without parallel workers, 4-6x the time of
    the query itself for the first pass at 1,000,000 records. Only ids, no contents, are held."""
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        while fetched := cursor.fetchmany(CHUNK):
            yield from fetched


@dataclass
class _Streamed:
    """What writing the messages into data.json left for the rest of the bundle."""

    count: int = 0
    conversations: set[int] = field(default_factory=set)
    files: dict[str, Any] = field(default_factory=dict)
    # index.html's rows in the temporary file: (title, start, end) per run of one conversation.
    runs: list[tuple[str, int, int]] = field(default_factory=list)


def _stream_messages(names: Names, titles: dict[int | None, str],
                     account: User | None, first: _FirstPass,
                     rows: IO[bytes]) -> Iterator[tuple[list[dict[str, Any]], _Streamed]]:
    """The messages chunk by chunk; each chunk's index.html rows go to ``rows`` meanwhile."""
    streamed = _Streamed()
    for chunk in _record_chunks(first.records):
        messages, _purged, found = _messages(chunk, names, titles, account,
                                             stored=first.stored, marked=first.marked)
        streamed.count += len(messages)
        streamed.conversations.update(m["conversation_id"] for m in messages)
        streamed.files.update(found)
        for title, run in itertools.groupby(_message_rows(messages), key=itemgetter(0)):
            start = rows.tell()
            rows.write("".join(f"{row}\n" for _title, row in run).encode())
            if streamed.runs and streamed.runs[-1][0] == title:
                start = streamed.runs.pop()[1]
            streamed.runs.append((title, start, rows.tell()))
        yield messages, streamed


def _write_data(out: _Hashed, data: dict[str, Any],
                chunks: Iterator[tuple[list[dict[str, Any]], _Streamed]]) -> _Streamed:
    """data.json as ``json.dumps(data, ensure_ascii=False, sort_keys=True)`` would write it
    with the messages in it, the messages encoded a chunk at a time."""
    before = {k: v for k, v in data.items() if k < "messages"}
    after = {k: v for k, v in data.items() if k > "messages"}
    head = json.dumps(before, ensure_ascii=False, sort_keys=True)[:-1]
    out.write((head + (", " if before else "") + '"messages": [').encode())
    streamed = _Streamed()
    for messages, streamed in chunks:
        if messages:
            encoded = json.dumps(messages, ensure_ascii=False, sort_keys=True)[1:-1]
            out.write(((", " if streamed.count > len(messages) else "") + encoded).encode())
    tail = json.dumps(after, ensure_ascii=False, sort_keys=True)[1:]
    out.write(("]" + (", " if after else "") + tail).encode())
    return streamed


def _write_index(out: _Hashed, data: dict[str, Any], names: Names, streamed: _Streamed,
                 rows: IO[bytes]) -> None:
    """index.html: the page rendered around a mark, and at the mark a table per conversation
    title, in order of first appearance, copied from the rows file."""
    page = render_to_string("records/export_index.html", {
        "data": data, "view": readable(data, names), "about": None,
        "message_groups": SafeString(ROWS_MARK)})
    head, tail = page.split(ROWS_MARK, 1)
    out.write(head.encode())
    if not streamed.runs:
        out.write(_no_messages().encode())
    by_title: dict[str, list[tuple[int, int]]] = {}
    for title, start, end in streamed.runs:
        by_title.setdefault(title, []).append((start, end))
    for title, runs in by_title.items():
        out.write(_group_head(title).encode())
        for start, end in runs:
            rows.seek(start)
            left = end - start
            while left:
                block = rows.read(min(left, 1 << 20))
                out.write(block)
                left -= len(block)
        out.write(GROUP_END.encode())
    out.write(tail.encode())


def _copy_files(out: zipfile.ZipFile, files: dict[str, Any]) -> dict[str, str]:
    """Copy the stored files into the ZIP, 1 MiB at a time; return each one's SHA-256."""
    digests: dict[str, str] = {}
    for name, field_file in files.items():
        try:
            with field_file.open("rb") as handle, out.open(
                    name, "w", force_zip64=field_file.size > 2**30) as member:
                stored = _Hashed(member)
                for block in iter(lambda: handle.read(1 << 20), b""):
                    stored.write(block)
        except FileNotFoundError:
            continue  # deleted from disk since; data.json still lists it
        digests[name] = stored.digest.hexdigest()
    return digests


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as written:
        for block in iter(lambda: written.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_private(path: Path, content: bytes) -> None:
    """Write an export readable by its owner alone (mode 0600): it holds other people's words.

    Written beside and renamed: a run killed halfway never leaves half a file to download."""
    private_files.make_folder(path.parent)
    partial = path.with_name(f"{path.name}.partial")
    private_files.write(partial, content)
    partial.replace(path)


# --- A pupil's export: what was written about the pupil, as the DPO reviewed it --------------

REVIEWED, NOT_REVIEWED = "reviewed", "not reviewed"


@dataclass(frozen=True)
class Review:
    """The DPO's decisions on a pupil's candidates (``archive.sections``): candidate key ->
    (include, reason). Without a review (the command line) every candidate is included and
    marked "not reviewed"."""

    decisions: dict[str, tuple[bool, str]]
    by: int | None
    at: datetime | None


def collect_pupil(pupil: Pupil, review: Review | None, *, progress: Progress | None = None,
                  now: datetime | None = None) -> dict[str, Any]:
    """A pupil's export (:func:`collect`) with what was written about the pupil: the included
    candidates in ``about_the_pupil``, and nothing of a left-out one anywhere in the bundle."""
    data = collect(pupil=pupil, progress=progress, now=now)
    names: Names = data["_names"]
    kept: list[tuple[str, Candidate]] = []
    left_out: list[Candidate] = []
    for section, found in sections.gather(pupil):
        for candidate in found:
            decided = review.decisions.get(candidate.key) if review is not None else (True, "")
            if decided is not None and decided[0]:
                kept.append((section.name, candidate))
            else:
                left_out.append(candidate)
    _leave_out(data, pupil, [c for _, c in kept], left_out)
    names.load(c.actor_id for _, c in kept)
    photo_files = {a["sha256"]: a["file"] for m in data["messages"] for a in m["attachments"]}
    status = NOT_REVIEWED if review is None else REVIEWED
    data["about_the_pupil"] = [
        {"section": name, "key": c.key, "at": _iso(c.at), "place": c.place,
         "by": names.user(c.actor_id), "text": c.text, "review": status,
         **({"file": photo_files.get(c.facts["sha256"])} if "sha256" in c.facts else {})}
        for name, c in kept]
    data["review"] = {
        "status": status,
        "by": names.user(review.by) if review is not None and review.by else None,
        "at": _iso(review.at) if review is not None else None,
        "candidates": len(kept) + len(left_out), "included": len(kept),
        "left_out": len(left_out),
    }
    return data


def _leave_out(data: dict[str, Any], pupil: Pupil, kept: list[Candidate],
               left_out: list[Candidate]) -> None:
    """Take every left-out candidate out of the bundle's other sections: a left-out message's
    record, a left-out photo's file and description (and the message that is in the bundle
    only for that photo), a left-out consent record."""
    records = {c.facts["record"] for c in left_out if "record" in c.facts}
    photos = {c.facts["sha256"] for c in left_out if "sha256" in c.facts}
    photo_messages = ({c.facts["message"] for c in left_out if "message" in c.facts}
                      - {c.facts["message"] for c in kept if "message" in c.facts})
    consent = {c.facts["consent_record"] for c in left_out if "consent_record" in c.facts}
    account = pupil.user
    own: set[int] = set()
    if account is not None and photo_messages:
        own = {r.pk for r in _message_records(
            account, None, _conversations.memberships(account.pk))}
    messages = []
    for m in data["messages"]:
        if m["record"] in records or (m["message"] in photo_messages and m["record"] not in own):
            continue
        if photos and any(a["sha256"] in photos for a in m["attachments"]):
            m["attachments"] = [a for a in m["attachments"] if a["sha256"] not in photos]
        messages.append(m)
    data["messages"] = messages
    wanted = {a["file"] for m in messages for a in m["attachments"] if a["file"]}
    data["_files"] = {path: f for path, f in data["_files"].items() if path in wanted}
    data["consent_records"] = [c for c in data["consent_records"]
                               if c.get("consent_record") not in consent]


def readable_about(data: dict[str, Any]) -> dict[str, Any] | None:
    """index.html's section on what was written about the pupil and how it was reviewed."""
    review = data.get("review")
    if not review:
        return None
    labels = {s.name: str(s.label()) for s in sections.sections()}
    if review["status"] == REVIEWED:
        summary = _("%(dpo)s, the school's data protection officer, reviewed %(found)s items "
                    "found about the pupil on %(at)s: %(included)s included, %(left_out)s left "
                    "out.") % {"dpo": review["by"] or NONE, "found": review["candidates"],
                               "at": _when(review["at"]), "included": review["included"],
                               "left_out": review["left_out"]}
        mark = _("reviewed")
    else:
        summary = _("These %(found)s items were found by searching for the pupil's name, tags "
                    "and records. They were not reviewed by the school's data protection officer "
                    "before this export was made.") % {"found": review["candidates"]}
        mark = _("not reviewed")
    return {"summary": summary, "rows": [
        {"section": labels.get(row["section"], row["section"]), "at": _when(row["at"]),
         "place": row["place"], "by": row["by"], "text": row["text"], "file": row.get("file"),
         "review": mark} for row in data.get("about_the_pupil") or []]}


def write_pupil(path: Path, pupil: Pupil, review: Review | None, *,
                progress: Progress | None = None, now: datetime | None = None) -> tuple[str, int]:
    """Build a pupil's export into ``path``; return its SHA-256 and message count."""
    data = collect_pupil(pupil, review, progress=progress, now=now)
    content = bundle(data)
    write_private(path, content)
    if progress:
        progress(100)
    return _sha256(content), len(data["messages"]) + len(data["about_the_pupil"])


# --- The DPO's search export: streamed to its file, member by member ------------------------

SEARCH_FORMAT = "schoolchat-search-export/1"
SEARCH_CHUNK = CHUNK
ROWS_MARK = "<!-- rows -->"


class _Hashed:
    """A ZIP member being written, and the SHA-256 of what went into it (for the manifest)."""

    def __init__(self, member: Any) -> None:
        self.member = member
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.member.write(data)


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _search_messages(ids: list[int], names: Names) -> Iterable[tuple[list[dict[str, Any]], int,
                                                                     dict[str, Any]]]:
    """The found messages chunk by chunk, as (messages, purged, ZIP path -> file): the rows
    of one chunk at a time are in memory, never all of them."""
    for chunk in _chunks(ids, SEARCH_CHUNK):
        rows = rows_of(Record.objects.filter(pk__in=chunk).order_by("conversation_id",
                                                                     "position"))
        yield _messages(rows, names, _titles(rows, set()), None, hide_sensitive=False)


def write_search(path: Path, ids: list[int], criteria: dict[str, Any], *,
                 now: datetime | None = None) -> tuple[str, int]:
    """A records search (FOIA, FERPA) as a "Search export" ZIP written straight into ``path``
    (mode 0600): data.json and index.html are written message by message from the archive,
    ``SEARCH_CHUNK`` records at a time, then the stored files and the manifest. ``ids``: the
    found message records, in the order the bundle lists them (by conversation, then in
    order). Returns the file's SHA-256 and the number of messages."""
    names = Names(None, None)
    moment = (now or timezone.now()).isoformat()
    private_files.make_folder(path.parent)
    partial = path.with_name(f"{path.name}.partial")
    digests: dict[str, str] = {}
    files: dict[str, Any] = {}
    drawn_on: set[str] = set()
    count = purged = 0
    with (private_files.create(partial) as raw,
          zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out):
        with out.open("data.json", "w") as member:
            data = _Hashed(member)
            head = {"format": SEARCH_FORMAT, "title": "Search export", "generated_at": moment,
                    "search": criteria}
            data.write(json.dumps(head, ensure_ascii=False, sort_keys=True)[:-1].encode()
                       + b', "messages": [')
            for messages, gone, found in _search_messages(ids, names):
                for m in messages:
                    data.write((b", " if count else b"")
                               + json.dumps(m, ensure_ascii=False, sort_keys=True).encode())
                    drawn_on.add(scopes.conversation(m["conversation_id"]))
                    count += 1
                purged += gone
                files.update(found)
            data.write(f'], "purged_messages": {purged}}}'.encode())
        digests["data.json"] = data.digest.hexdigest()
        with out.open("index.html", "w") as member:
            index = _Hashed(member)
            _write_search_index(index, ids, names, criteria, moment, purged)
        digests["index.html"] = index.digest.hexdigest()
        digests.update(_copy_files(out, files))
        out.writestr("manifest.json", json.dumps(
            _manifest(SEARCH_FORMAT, moment, digests, drawn_on), indent=2,
            sort_keys=True).encode())
    partial.replace(path)
    return _file_sha256(path), count


def _write_search_index(out: _Hashed, ids: list[int], names: Names, criteria: dict[str, Any],
                        moment: str, purged: int) -> None:
    """index.html: the page around the rows, rendered once, and the rows written chunk by
    chunk under a heading per conversation (the ids come ordered by conversation)."""
    page = render_to_string("records/search_export_index.html", {
        "generated": _when(moment), "criteria": _criteria(criteria, names), "purged": purged,
        "count": len(ids), "mark": SafeString(ROWS_MARK)})
    head, tail = page.split(ROWS_MARK, 1)
    out.write(head.encode())
    shown = None
    columns = (f'<tr><th scope="col">{esc(_("When"))}</th><th scope="col">{esc(_("From"))}'
               f'</th><th scope="col">{esc(_("Message"))}</th></tr>\n')
    for messages, _gone, _found in _search_messages(ids, names):
        for title, rows in _message_groups(messages):
            if title != shown:
                out.write((("</table>\n" if shown is not None else "")
                            + f"<h3>{esc(title)}</h3>\n<table>\n" + columns).encode())
                shown = title
            out.write(rows.encode() + b"\n")
    if shown is not None:
        out.write(b"</table>\n")
    else:
        out.write(f"<p>{esc(_('None.'))}</p>\n".encode())
    out.write(tail.encode())


def _manifest(kind: str, moment: str, digests: dict[str, str],
              drawn_on: set[str]) -> dict[str, Any]:
    chains = {scope: (length, head) for scope, length, head in
              Chain.objects.filter(scope__in=drawn_on).values_list("scope", "length", "head_hash")}
    seal = Record.objects.filter(scope=scopes.SEAL).order_by("-position").first()
    return {
        "format": kind, "generated_at": moment, "files": dict(sorted(digests.items())),
        "chain_heads": {s: {"length": chains[s][0], "hash": chains[s][1]}
                        for s in sorted(drawn_on) if s in chains},
        "latest_seal": {"record": seal.pk, "hash": seal.hash} if seal else None,
    }
