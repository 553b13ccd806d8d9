"""The JSON API for the school's own systems (docs/api.md) and its documentation page.

Each operation is an adapter like a page's view: the token (``api.auth``) says which school and
which staff member; the operation asks the same rules (``accounts.access.can`` and the queryset
twins), calls the same action as the page and answers JSON. What the action archives, it
archives with that staff member as the actor. Anything outside the token's school, or that its
staff member may not see, is 404; one-to-one conversations are never served.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, cast

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from ninja import Field, File, NinjaAPI, Query, Status
from ninja.files import UploadedFile

from absence.access import reason_visible_reports, visible_reports
from absence.actions import school_today
from absence.models import AbsenceReport
from accounts.access import can
from accounts.models import Pupil, RosterImport
from api import errors
from api.auth import TokenAuth, TokenRequest
from api.errors import ApiError, not_found
from api.models import Scope
from api.roster import FORMATS, FormatName
from api.schemas import (
    BODY_ERRORS,
    ERRORS,
    AbsenceList,
    AbsenceOut,
    AbsenceReason,
    AcknowledgementOut,
    AcknowledgementsOut,
    AnnouncementIn,
    BookingList,
    BookingOut,
    ConversationKind,
    ConversationList,
    ConversationOut,
    Day,
    Error,
    FamilyOut,
    Id,
    ImportState,
    MessageOut,
    OtherOut,
    PersonOut,
    PupilOut,
    RosterImportOut,
    RosterPreviewOut,
    RoundList,
    RoundOut,
    SchoolClassOut,
)
from meetings.access import visible_bookings, visible_rounds
from meetings.models import Booking, MeetingRound
from messaging import acknowledgements
from messaging.access import readable_conversations, readable_message_or_none
from messaging.actions.send import post_message
from messaging.models import Conversation, Message

DESCRIPTION = """\
The school's own systems read and change Schoolchat here, under the same rules as its pages.

Every call sends a token made by the school's admin (School admin, API tokens) or the operator
(`manage.py api_token create`): `Authorization: Bearer sc_…`. A token belongs to one school
and acts as one of its staff members, chosen when it is made: it sees and may do what that
person may, within the scopes it was given. No cookies: a call that carries a session cookie is
refused. Errors are JSON, `{"detail": "…", "code": "…"}`, in the language of Accept-Language.
"""

api = NinjaAPI(title="Schoolchat API", version="1", description=DESCRIPTION,
               urls_namespace="api", docs_url=None, openapi_url="/openapi.json")
errors.install(api)

# One-to-one conversations are people's own: the API serves the school's conversations only.
SERVED_KINDS = (Conversation.Kind.CLASS, Conversation.Kind.GROUP, Conversation.Kind.ANNOUNCEMENT)
ANNOUNCED_KINDS = (Conversation.Kind.CLASS, Conversation.Kind.ANNOUNCEMENT)


def _conversations(request: TokenRequest) -> QuerySet[Conversation]:
    """What the token's staff member reads of the token's school, with their sizes."""
    token = request.auth
    return (readable_conversations(token.acts_as)
            .filter(school_id=token.school_id, kind__in=SERVED_KINDS)
            .select_related("school_class")
            .annotate(member_count=Count("memberships",
                                         filter=Q(memberships__ended_at__isnull=True))))


def _conversation_out(conversation: Conversation) -> ConversationOut:
    school_class = conversation.school_class if conversation.school_class_id else None
    return ConversationOut(
        id=conversation.pk, kind=cast(ConversationKind, conversation.kind), name=conversation.name,
        school_class=(SchoolClassOut(id=school_class.pk, name=school_class.name)
                      if school_class is not None else None),
        members=getattr(conversation, "member_count", 0), created_at=conversation.created_at)


@api.get("/conversations", response={200: ConversationList, **ERRORS},
         auth=TokenAuth(Scope.CONVERSATIONS_READ),
         url_name="conversations", operation_id="list_conversations",
         summary="List conversations", tags=["conversations"])
def list_conversations(request: TokenRequest, kind: ConversationKind | None = None,
                       limit: Annotated[int, Field(ge=1, le=200)] = 50,
                       offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0) -> dict[str, Any]:
    """The class groups, groups and announcement channels of the token's school that its staff
    member reads, oldest first, `limit` at a time from `offset`. Scope: `conversations:read`."""
    found = _conversations(request)
    if kind is not None:
        found = found.filter(kind=kind)
    page = found.order_by("pk")[offset:offset + limit]
    return {"count": found.count(), "items": [_conversation_out(c) for c in page]}


def _conversation_or_404(request: TokenRequest, conversation_id: int) -> Conversation:
    conversation = _conversations(request).filter(pk=conversation_id).first()
    if conversation is None:
        raise not_found()
    return conversation


@api.get("/conversations/{conversation_id}", response={200: ConversationOut, **ERRORS},
         auth=TokenAuth(Scope.CONVERSATIONS_READ),
         url_name="conversation", operation_id="get_conversation",
         summary="One conversation", tags=["conversations"])
def get_conversation(request: TokenRequest, conversation_id: Id) -> ConversationOut:
    """One conversation of the list. Scope: `conversations:read`."""
    return _conversation_out(_conversation_or_404(request, conversation_id))


def _message_out(message: Message) -> MessageOut:
    return MessageOut(id=message.pk, conversation=message.conversation_id, seq=message.seq,
                      sent_at=message.created_at, sender=message.sender_id,
                      acknowledgement_requested=message.ack_requested, urgent=message.urgent,
                      published=message.held_at is None, client_id=message.client_id)


@api.post("/conversations/{conversation_id}/announcements",
          response={200: MessageOut, 201: MessageOut, **BODY_ERRORS},
          auth=TokenAuth(Scope.ANNOUNCEMENTS_WRITE),
          url_name="announcements", operation_id="post_announcement",
          summary="Post an announcement", tags=["announcements"])
def post_announcement(request: TokenRequest, conversation_id: Id,
                      announcement: AnnouncementIn) -> Status[MessageOut]:
    """Post a message to an announcement channel or a class group of the token's school, as
    the token's staff member, through the same checks as the chat page: they must be allowed
    to post there (403 otherwise), only staff may ask for acknowledgement, and their posting
    rate is limited as on the page (429). It reaches the members at once, by socket, push
    and digest. 201 when posted; 200 when a `client_id` already posted it. Scope:
    `announcements:write`."""
    conversation = _conversation_or_404(request, conversation_id)
    if conversation.kind not in ANNOUNCED_KINDS:
        raise ApiError(422, "invalid", _("Announcements go to an announcement channel or a "
                                         "class group, not to this group."))
    # The API's caller posts to the whole conversation on purpose: no confirmation is asked.
    message, created = post_message(
        request.auth.acts_as, conversation, announcement.text,
        client_id=announcement.client_id, urgent=announcement.urgent,
        ack_requested=announcement.acknowledgement_requested, confirm=True)
    return Status(201 if created else 200, _message_out(message))


def _person(user: Any) -> PersonOut:
    return PersonOut(id=user.pk, name=user.public_name, ref=user.ref)


@api.get("/messages/{message_id}/acknowledgements",
         response={200: AcknowledgementsOut, **ERRORS},
         auth=TokenAuth(Scope.ACKNOWLEDGEMENTS_READ),
         url_name="acknowledgements", operation_id="get_acknowledgements",
         summary="Who acknowledged a message", tags=["acknowledgements"])
def get_acknowledgements(request: TokenRequest, message_id: Id) -> AcknowledgementsOut:
    """Who acknowledged a message that asked for it, by family, as the acknowledgement page
    lists them: a family is a pupil the conversation concerns with the pupil's guardians who
    are members, and either guardian's acknowledgement counts for it. For the staff members
    of the conversation (403 for anyone else who reads it). Scope: `acknowledgements:read`."""
    token = request.auth
    message = readable_message_or_none(token.acts_as, message_id)
    if (message is None or message.conversation.school_id != token.school_id
            or message.conversation.kind not in SERVED_KINDS):
        raise not_found()
    if not can(token.acts_as, "message.acknowledgements", message):
        raise ApiError(403, "forbidden", _(
            "Only the conversation's staff see who acknowledged, and only for a message "
            "that asked for it."))
    summary = acknowledgements.overview(message)
    return AcknowledgementsOut(
        message=message.pk, conversation=message.conversation_id,
        families=len(summary.families), acknowledged=len(summary.done),
        by_family=[FamilyOut(
            pupil=PupilOut(id=f.pupil.pk, name=f.name, ref=f.pupil.shown_ref),
            guardians=[_person(g) for g in f.guardians], acknowledged=f.done,
            acknowledgements=[AcknowledgementOut(person=_person(a.user), at=a.at)
                              for a in f.acknowledged]) for f in summary.families],
        others=[OtherOut(person=_person(o.user), acknowledged_at=o.at) for o in summary.others])


def _import_out(job: RosterImport) -> RosterImportOut:
    result = job.result or {}
    errors_found = list(result.get("errors", []))
    if result.get("failure"):
        errors_found.append(str(result["failure"]))
    return RosterImportOut(id=job.pk, state=cast(ImportState, job.state), lines_done=job.lines_done,
                           lines_total=job.lines_total, created_at=job.created_at,
                           finished_at=job.finished_at, summary=str(result.get("summary", "")),
                           changes=list(result.get("changes", [])), errors=errors_found)


def _may_import(request: TokenRequest) -> None:
    if not can(request.auth.acts_as, "school.manage", request.auth.school):
        raise ApiError(403, "forbidden", _("Only a school admin imports the roster: this "
                                           "token acts as someone who is not."))


@api.post("/roster/imports", response={200: RosterPreviewOut, 202: RosterImportOut,
                                       409: Error, **BODY_ERRORS},
          auth=TokenAuth(Scope.ROSTER_WRITE),
          url_name="roster_imports", operation_id="import_roster",
          summary="Import the roster", tags=["roster"])
def import_roster(request: TokenRequest, file: File[UploadedFile],
                  format: FormatName = "csv", dry_run: bool = False,
                  confirm_leavers: bool = False) -> Status[RosterPreviewOut | RosterImportOut]:
    """Send the school's roster file (multipart/form-data, field `file`) in `format` (`csv`:
    the columns of the admin's roster page; `oneroster`: a OneRoster 1.1 or 1.2 CSV zip, bulk
    or delta; docs/accounts.md). The whole file is checked first: a file with a bad line is
    refused whole (422, `errors` names every line) and nothing changes. With `dry_run=true`
    the answer is the preview the page shows (200), and nothing changes; otherwise the import
    is queued for the worker (202) and `GET /api/roster/imports/{id}` follows it. Pupils
    missing from a CSV or a bulk OneRoster file become leavers; a OneRoster file's leavers
    (listed in its preview's `leavers`) must be confirmed with `confirm_leavers=true`, else
    422 `leavers_unconfirmed` lists them and nothing changes. One import at a time per school
    (409). The token must act as a school admin. Scope: `roster:write`."""
    _may_import(request)
    reader, raw = FORMATS[format], file.read()
    school, actor = request.auth.school, request.auth.acts_as
    if dry_run:
        preview = reader.preview(school, raw, actor)
        return Status(200, RosterPreviewOut(changed=preview.changed, summary=preview.summary,
                                            changes=preview.changes, leavers=preview.leavers))
    return Status(202, _import_out(reader.start(school, raw, actor,
                                                confirm_leavers=confirm_leavers)))


@api.get("/roster/imports/{import_id}", response={200: RosterImportOut, **ERRORS},
         auth=TokenAuth(Scope.ROSTER_WRITE),
         url_name="roster_import", operation_id="get_roster_import",
         summary="A roster import's progress", tags=["roster"])
def get_roster_import(request: TokenRequest, import_id: Id) -> RosterImportOut:
    """How far an import has come, then what it did or why it failed (nothing changed then).
    Scope: `roster:write`."""
    _may_import(request)
    job = RosterImport.objects.filter(pk=import_id, school_id=request.auth.school_id).first()
    if job is None or not can(request.auth.acts_as, "roster_import.view", job):
        raise not_found()
    return _import_out(job)


# --- absences and parents' evenings: read only, as the token's staff member sees them --------

# The longest stretch one call of the absences reads: a school term.
MAX_ABSENCE_DAYS = 92
Limit = Annotated[int, Field(ge=1, le=200)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]


def _pupil(pupil: Pupil) -> PupilOut:
    return PupilOut(id=pupil.pk, name=str(pupil), ref=pupil.shown_ref)


def _days(today: date, day: date | None, first: date | None,
          last: date | None) -> tuple[date, date]:
    """The days asked for: one ``date``, or ``from`` to ``until`` (either alone is one day),
    or today in the school's time zone."""
    if day is not None:
        if first is not None or last is not None:
            raise ApiError(422, "invalid", _("Ask for one date, or for from and until, not "
                                             "both."))
        return day, day
    if first is None and last is None:
        return today, today
    first = first or last
    last = last or first
    assert first is not None and last is not None
    if last < first:
        raise ApiError(422, "invalid", _("The until date comes before the from date."))
    if (last - first) >= timedelta(days=MAX_ABSENCE_DAYS):
        raise ApiError(422, "invalid", _("Ask for at most %(days)d days at a time.")
                       % {"days": MAX_ABSENCE_DAYS})
    return first, last


def _absence_out(report: AbsenceReport, reason_shown: bool) -> AbsenceOut:
    return AbsenceOut(
        id=report.pk, pupil=_pupil(report.pupil), starts_on=report.starts_on,
        ends_on=report.ends_on, from_time=report.from_time, until_time=report.until_time,
        reason=cast(AbsenceReason, report.category) if reason_shown and report.category else None,
        note=report.note if reason_shown else "", reported=report.reported_at is not None,
        late=report.late, marked_missing=report.marked_at is not None, open=report.is_open,
        acknowledged=report.acknowledged_at is not None)


@api.get("/absences", response={200: AbsenceList, **ERRORS},
         auth=TokenAuth(Scope.ABSENCES_READ),
         url_name="absences", operation_id="list_absences",
         summary="The absences of a day", tags=["absences"])
def list_absences(request: TokenRequest, day: Annotated[Day | None, Query(alias="date")] = None,
                  first: Annotated[Day | None, Query(alias="from")] = None,
                  last: Annotated[Day | None, Query(alias="until")] = None,
                  limit: Limit = 200, offset: Offset = 0) -> dict[str, Any]:
    """The absences of the token's school on `date` (`YYYY-MM-DD`; today without it), or on
    any day from `from` until `until` (both included, at most 92 days), that the token's staff
    member sees on the absence pages: the office the whole school's, a teacher their classes'
    pupils'. Why a pupil is away (`reason`, `note`) only where that person may see it (the
    office, the class teacher); a subject teacher's token never gets a reason, a health one
    included. A marked absence not (yet) answered is `open`. In order of the first day, then
    the pupil. Scope: `absences:read`."""
    start, end = _days(school_today(request.auth.school), day, first, last)
    token = request.auth
    found = (visible_reports(token.acts_as).filter(school_id=token.school_id,
                                                   starts_on__lte=end, ends_on__gte=start)
             .select_related("pupil").order_by("starts_on", "pupil__first_name",
                                               "pupil__last_name", "pk"))
    page = list(found[offset:offset + limit])
    reasons = set(reason_visible_reports(token.acts_as)
                  .filter(pk__in=[r.pk for r in page]).values_list("pk", flat=True))
    return {"count": found.count(), "items": [_absence_out(r, r.pk in reasons) for r in page]}


def _rounds(request: TokenRequest) -> QuerySet[MeetingRound]:
    return visible_rounds(request.auth.acts_as).filter(school_id=request.auth.school_id)


def _round_out(round_: MeetingRound) -> RoundOut:
    return RoundOut(
        id=round_.pk, title=round_.title,
        classes=[SchoolClassOut(id=c.pk, name=c.name)
                 for c in sorted(round_.classes.all(), key=lambda c: (c.name, c.pk))],
        place=round_.place, video_link=round_.video_link, slot_minutes=round_.slot_minutes,
        opens_at=round_.opens_at, closes_at=round_.closes_at,
        change_deadline=round_.change_deadline, per=cast(Any, round_.per))


@api.get("/meetings/rounds", response={200: RoundList, **ERRORS},
         auth=TokenAuth(Scope.BOOKINGS_READ),
         url_name="meeting_rounds", operation_id="list_meeting_rounds",
         summary="List parents' evenings", tags=["bookings"])
def list_meeting_rounds(request: TokenRequest, limit: Limit = 50,
                        offset: Offset = 0) -> dict[str, Any]:
    """The parents' evenings of the token's school that its staff member sees on the
    meetings page: the office every one, a teacher those they published or have slots in.
    Newest first. Scope: `bookings:read`."""
    found = _rounds(request).prefetch_related("classes").order_by("-opens_at", "-pk")
    return {"count": found.count(),
            "items": [_round_out(r) for r in found[offset:offset + limit]]}


def _booking_out(booking: Booking) -> BookingOut:
    booked_by = booking.booked_by
    return BookingOut(id=booking.pk, starts_at=booking.slot.starts_at,
                      ends_at=booking.slot.ends_at, room=booking.slot.room,
                      teacher=_person(booking.teacher), pupil=_pupil(booking.pupil),
                      booked_by=_person(booked_by) if booked_by is not None else None,
                      booked_at=booking.created_at)


@api.get("/meetings/rounds/{round_id}/bookings", response={200: BookingList, **ERRORS},
         auth=TokenAuth(Scope.BOOKINGS_READ),
         url_name="meeting_bookings", operation_id="list_meeting_bookings",
         summary="A parents' evening's bookings", tags=["bookings"])
def list_meeting_bookings(request: TokenRequest, round_id: Id, limit: Limit = 200,
                          offset: Offset = 0) -> dict[str, Any]:
    """The live bookings of one parents' evening that the token's staff member may see: all
    of them for the office and the round's author, a teacher's own slots' otherwise. In time
    order. A cancelled booking is not listed. Scope: `bookings:read`."""
    round_ = _rounds(request).filter(pk=round_id).first()
    if round_ is None:
        raise not_found()
    found = (visible_bookings(request.auth.acts_as, round_).filter(cancelled_at__isnull=True)
             .select_related("slot", "teacher", "pupil", "booked_by")
             .order_by("slot__starts_at", "teacher__display_name", "pk"))
    return {"round": round_.pk, "count": found.count(),
            "items": [_booking_out(b) for b in found[offset:offset + limit]]}


# --- the documentation page: the OpenAPI document, read by people ---------------------------

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append({
                "method": method.upper(), "path": path, "id": operation.get("operationId", ""),
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": [{"name": p["name"], "in": p["in"],
                                "required": p.get("required", False),
                                "description": p.get("description", "")}
                               for p in operation.get("parameters", [])],
                "body": ", ".join(operation.get("requestBody", {}).get("content", {})),
                "responses": sorted(operation.get("responses", {})),
            })
    return found


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """The API's operations, from the OpenAPI document the code generates: a server-rendered
    page with the site's own styles, no script and nothing loaded from elsewhere."""
    schema = api.get_openapi_schema()
    return render(request, "api/docs.html", {
        "operations": _operations(schema),
        "schemas": _schemas(schema)})


def _schemas(schema: dict[str, Any]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Each data type's fields: (name, type, description)."""
    found = []
    for name, spec in sorted(schema.get("components", {}).get("schemas", {}).items()):
        fields = [(field, _type_of(about), str(about.get("description", "")))
                  for field, about in spec.get("properties", {}).items()]
        found.append((name, fields))
    return found


def _type_of(about: dict[str, Any]) -> str:
    if "$ref" in about:
        return str(about["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in about:
        return " | ".join(_type_of(option) for option in about["anyOf"])
    if about.get("type") == "array":
        return f"array of {_type_of(about.get('items', {}))}"
    if "enum" in about:
        return " | ".join(str(value) for value in about["enum"])
    return str(about.get("format") or about.get("type") or about.get("const", ""))
