"""What the API's operations take and answer (pydantic, through django-ninja), which is also
its OpenAPI document: every field here is documented there with its type and description."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from typing import Annotated, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, StrictBool, StrictStr

# The largest id a database row has (a 64-bit integer): a larger number is refused as invalid
# (422) instead of reaching the database.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _storable(value: str) -> str:
    """Text a database stores as it is: no NUL character (PostgreSQL refuses it) and no lone
    surrogate (which is no UTF-8)."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be text (a lone surrogate is not)") from None
    return value


Text = Annotated[StrictStr, AfterValidator(_storable)]


class Error(Schema):
    detail: str = Field(description="What went wrong, as a sentence in the request's language.")
    code: str = Field(description="unauthenticated, scope, forbidden, not_found, conflict, "
                                  "invalid, rate_limited, roster_rejected, bad_request, …")
    errors: list[str] = Field(default_factory=list,
                              description="The bad fields, or a refused file's lines.")


ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}
BODY_ERRORS: dict[int, type[Error]] = {400: Error, **ERRORS}


ConversationKind = Literal["class", "group", "announcement"]


class SchoolClassOut(Schema):
    id: int
    name: str


class ConversationOut(Schema):
    id: int
    kind: ConversationKind = Field(
        description="class: a class group (its class's families and teachers); group: a "
                    "group the school made; announcement: an announcement channel.")
    name: str = Field(description="A class group's name in the request's language.")
    school_class: SchoolClassOut | None = Field(description="The class of a class group.")
    members: int = Field(description="Current members.")
    created_at: datetime


class ConversationList(Schema):
    count: int = Field(description="Conversations in all, over every page.")
    items: list[ConversationOut]


class AnnouncementIn(Schema):
    text: Text = Field(
        min_length=1, max_length=settings.SCHOOLCHAT_MESSAGE_MAX_CHARS, pattern=r"\S",
        description="The message, as plain text (web links are made clickable); not only "
                    "spaces.")
    acknowledgement_requested: StrictBool = Field(
        default=False, description="Ask every family to acknowledge it.")
    urgent: StrictBool = Field(default=False, description="Reaches people in their quiet hours.")
    client_id: uuid.UUID | None = Field(
        default=None, description="Your id for this announcement: sending it again with the "
                                  "same client_id returns the first one (200) instead of "
                                  "posting it twice.")


class MessageOut(Schema):
    id: int
    conversation: int
    seq: int = Field(description="Its place in the conversation's event log.")
    sent_at: datetime
    sender: int = Field(description="The staff member the token acts as.")
    acknowledgement_requested: bool
    urgent: bool
    published: bool = Field(description="False while the school's screening holds it for "
                                        "review.")
    client_id: uuid.UUID


class PersonOut(Schema):
    id: int
    name: str
    ref: str = Field(description="The school's own reference (the roster's), or blank.")


class PupilOut(Schema):
    id: int
    name: str
    ref: str = Field(description="The school's own reference (the roster's pupil_ref).")


class AcknowledgementOut(Schema):
    person: PersonOut
    at: datetime


class FamilyOut(Schema):
    pupil: PupilOut
    guardians: list[PersonOut] = Field(description="The pupil's guardians who are members.")
    acknowledged: bool = Field(description="Whether any of them acknowledged.")
    acknowledgements: list[AcknowledgementOut]


class OtherOut(Schema):
    person: PersonOut
    acknowledged_at: datetime | None


class AcknowledgementsOut(Schema):
    message: int
    conversation: int
    families: int = Field(description="Families the message concerns.")
    acknowledged: int = Field(description="Families of which a guardian acknowledged.")
    by_family: list[FamilyOut]
    others: list[OtherOut] = Field(description="Members in no family who are not staff (a "
                                               "pupil's own account, a parent whose child "
                                               "left).")


class RosterPreviewOut(Schema):
    dry_run: Literal[True] = True
    changed: bool = Field(description="False when the roster already matches the file.")
    summary: str
    changes: list[str] = Field(description="Every change, one sentence each.")
    leavers: list[str] = Field(default_factory=list, description=(
        "The pupils a bulk OneRoster file makes leavers, to confirm with confirm_leavers."))


ImportState = Literal["pending", "running", "done", "failed"]


class RosterImportOut(Schema):
    id: int
    state: ImportState
    lines_done: int
    lines_total: int
    created_at: datetime
    finished_at: datetime | None
    summary: str = Field(default="", description="What it did, once done.")
    changes: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list, description="Why it failed, by line.")


ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: object) -> object:
    """A day as ``YYYY-MM-DD`` only: pydantic would otherwise take a number as a Unix time."""
    if not isinstance(value, date) and not (isinstance(value, str) and ISO_DAY.fullmatch(value)):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]

AbsenceReason = Literal["ill", "medical", "family", "other"]


class AbsenceOut(Schema):
    id: int
    pupil: PupilOut
    starts_on: date
    ends_on: date
    from_time: time | None = Field(description="Set, with until_time, for a part of one day.")
    until_time: time | None
    reason: AbsenceReason | None = Field(description=(
        "Only where the token's staff member may see why (the office, the class teacher); "
        "null otherwise, and once retention has cleared a health reason."))
    note: str = Field(description="The guardian's note, under the same condition as reason; "
                                  "blank otherwise.")
    reported: bool = Field(description="A guardian reported it.")
    late: bool = Field(description="Reported after the school's cut-off time on its first day.")
    marked_missing: bool = Field(description="The school marked the pupil absent, not reported.")
    open: bool = Field(description="Marked missing and not (yet) answered by a guardian.")
    acknowledged: bool = Field(description="The office or the class teacher acknowledged it.")


class AbsenceList(Schema):
    count: int
    items: list[AbsenceOut]


class RoundOut(Schema):
    id: int
    title: str
    classes: list[SchoolClassOut]
    place: str
    video_link: str
    slot_minutes: int
    opens_at: datetime
    closes_at: datetime
    change_deadline: datetime
    per: Literal["family", "guardian"] = Field(description="One booking per family, or per "
                                                           "guardian.")


class RoundList(Schema):
    count: int
    items: list[RoundOut]


class BookingOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    room: str
    teacher: PersonOut
    pupil: PupilOut
    booked_by: PersonOut | None
    booked_at: datetime


class BookingList(Schema):
    round: int
    count: int
    items: list[BookingOut]
