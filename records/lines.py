"""Audit lines: what an archive record or a DPO's audit entry says, as a sentence a person reads.

The archive stores kinds (``admin.pupil_moved``) and ids (``{"pupil": 12, "school_class": 3}``);
the admin's and the DPO's audit pages show "Moved Sam Jansen to 4B." instead, in the reader's
language, with names looked up for a whole page at once (one query per kind of name). A kind
without a sentence here reads as a plain "Recorded a change." (never the code): the test of
this module fails for any kind the code archives that has no sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Pupil, Role, School, SchoolClass, User
from archive.models import AuditEntry, Record
from messaging.models import Conversation

# Payload keys naming each kind of thing.
USER_KEYS = ("user", "guardian", "blocked", "acts_as")
PUPIL_KEYS = ("pupil",)
CLASS_KEYS = ("school_class", "class")
CONVERSATION_KEYS = ("conversation",)
# Payload keys listing people (a message's mentions).
USER_LIST_KEYS = ("mentions",)


def _subject(content: Mapping[str, Any], names: Names) -> str:
    """An erasure's subject: an account, or a pupil record without one."""
    if content.get("user") is None and content.get("pupil") is not None:
        return names.pupil(content.get("pupil"))
    return names.user(content.get("user"))


@dataclass(frozen=True)
class Line:
    at: datetime
    who: str
    text: str


class Names:
    """The names of the people, pupils, classes and conversations a page of lines mentions."""

    def __init__(self, contents: Iterable[Mapping[str, Any]]) -> None:
        wanted: dict[str, set[int]] = {"user": set(), "pupil": set(), "class": set(),
                                       "conversation": set()}
        for content in contents:
            for group, keys in (("user", USER_KEYS), ("pupil", PUPIL_KEYS),
                                ("class", CLASS_KEYS), ("conversation", CONVERSATION_KEYS)):
                for key in keys:
                    value = content.get(key)
                    if isinstance(value, int) and not isinstance(value, bool):
                        wanted[group].add(value)
            for key in USER_LIST_KEYS:
                listed = content.get(key)
                if isinstance(listed, list):
                    wanted["user"].update(v for v in listed
                                          if isinstance(v, int) and not isinstance(v, bool))
        self.users = {u.pk: u.public_name for u in User.objects.filter(pk__in=wanted["user"])}
        self.pupils = {p.pk: str(p) for p in Pupil.objects.filter(pk__in=wanted["pupil"])}
        self.classes = dict(SchoolClass.objects.filter(pk__in=wanted["class"])
                            .values_list("pk", "name"))
        self.conversations = {c.pk: str(c) for c in
                              Conversation.objects.filter(pk__in=wanted["conversation"])}

    def user(self, pk: Any) -> str:
        return self.users.get(pk) or _("a removed account")

    def pupil(self, pk: Any) -> str:
        return self.pupils.get(pk) or _("a removed pupil")

    def school_class(self, pk: Any) -> str:
        return self.classes.get(pk) or _("a removed class")

    def conversation(self, pk: Any) -> str:
        return self.conversations.get(pk) or _("a removed conversation")

    def target(self, content: Mapping[str, Any]) -> str:
        """The subject of a hold or an export: a person, a pupil or a conversation."""
        if content.get("user"):
            return self.user(content["user"])
        if content.get("pupil"):
            return self.pupil(content["pupil"])
        if content.get("conversation"):
            return self.conversation(content["conversation"])
        return _("a search")


Sentence = Callable[[Mapping[str, Any], Names], str]


def _day(value: Any) -> str:
    parsed = parse_date(str(value)) if value else None
    return formats.date_format(parsed, "DATE_FORMAT") if isinstance(parsed, date) else "—"


def _days(c: Mapping[str, Any]) -> str:
    """An absence's days: "7 December 2026", or "7 December 2026 until 9 December 2026"."""
    first, last = c.get("starts_on"), c.get("ends_on")
    if not last or last == first:
        return _day(first)
    return _("%(first)s until %(last)s") % {"first": _day(first), "last": _day(last)}


def _moment(value: Any) -> str:
    """An ISO time of a record as the reader's clock writes it ("7 December 2026, 16:30")."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return "—"
    return formats.date_format(timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed,
                               "DATETIME_FORMAT")


def _role(value: Any) -> str:
    try:
        return str(Role(value).label)
    except ValueError:
        return _("another role")


def _fields(model: Any, names: Any) -> str:
    labels = []
    for name in names or ():
        try:
            labels.append(str(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:  # a field removed since: say something, never the code
            labels.append(_("another detail"))
    return ", ".join(labels) or _("nothing")


def _invitation(c: Mapping[str, Any], n: Names) -> str:
    if c.get("purpose") == "reset":
        return _("Issued a password reset link to %(user)s.") % {"user": n.user(c.get("user"))}
    return _("Issued an invitation to %(user)s.") % {"user": n.user(c.get("user"))}


def _member_added(c: Mapping[str, Any], n: Names) -> str:
    names = {"user": n.user(c.get("user")), "conversation": n.conversation(c.get("conversation"))}
    if c.get("manager"):
        return _("Added %(user)s to %(conversation)s as a manager.") % names
    return _("Added %(user)s to %(conversation)s.") % names


def _policies(c: Mapping[str, Any], n: Names) -> str:
    return _("Changed the school's policies: %(fields)s.") % {"fields": _fields(School, list(c))}


def _verified(c: Mapping[str, Any], n: Names) -> str:
    if c.get("intact"):
        return ngettext("Checked the archive: intact, %(count)d record.",
                        "Checked the archive: intact, %(count)d records.",
                        int(c.get("records") or 0)) % {"count": int(c.get("records") or 0)}
    return _("Checked the archive: it has been tampered with.")


def _emailed(c: Mapping[str, Any], n: Names) -> str:
    count = int(c.get("count") or 0)
    return ngettext("E-mailed %(count)d invitation.", "E-mailed %(count)d invitations.",
                    count) % {"count": count}


def _letters(c: Mapping[str, Any], n: Names) -> str:
    count = int(c.get("count") or 0)
    return ngettext("Made %(count)d invitation letter to print.",
                    "Made %(count)d invitation letters to print.", count) % {"count": count}


def _reminded(c: Mapping[str, Any], n: Names) -> str:
    count = len(c.get("guardians") or [])
    return ngettext("Reminded %(count)d guardian to acknowledge a message.",
                    "Reminded %(count)d guardians to acknowledge a message.",
                    count) % {"count": count}


def _reacted(c: Mapping[str, Any], n: Names) -> str:
    emoji = c.get("emoji")  # gone with the payload, once retention purged the message
    if isinstance(emoji, str) and emoji:
        return _("Reacted %(emoji)s to a message.") % {"emoji": emoji}
    return _("Reacted to a message.")


def _reaction_removed(c: Mapping[str, Any], n: Names) -> str:
    emoji = c.get("emoji")
    if isinstance(emoji, str) and emoji:
        return _("Took back the reaction %(emoji)s to a message.") % {"emoji": emoji}
    return _("Took back a reaction to a message.")


def _language(code: Any) -> str:
    names = dict(settings.LANGUAGES)
    return str(names.get(str(code), _("another language")))


def _roster(c: Mapping[str, Any], n: Names) -> str:
    count = int(c.get("changes") or 0)
    return ngettext("Imported the roster: %(count)d change.",
                    "Imported the roster: %(count)d changes.", count) % {"count": count}


def _search_exported(c: Mapping[str, Any], n: Names) -> str:
    count = int(c.get("messages") or 0)
    return ngettext("Made a search export of %(count)d message.",
                    "Made a search export of %(count)d messages.", count) % {"count": count}


def _export_made(c: Mapping[str, Any], n: Names) -> str:
    if "search" in c:
        return _search_exported(c, n)
    return _("Made a subject access export of %(target)s.") % {"target": n.target(c)}


def _export_reviewed(c: Mapping[str, Any], n: Names) -> str:
    decisions = c.get("decisions") or {}
    included = sum(1 for d in decisions.values() if isinstance(d, Mapping) and d.get("include"))
    return _("Reviewed what was written about %(pupil)s for their export: %(included)s "
             "included, %(left_out)s left out.") % {
        "pupil": n.pupil(c.get("pupil")), "included": included,
        "left_out": len(decisions) - included}


def _leavers(c: Mapping[str, Any], n: Names) -> str:
    users, pupils = int(c.get("users") or 0), int(c.get("pupils") or 0)
    return (_("Applied the leave dates that had come (accounts closed: %(users)s, pupils "
              "left: %(pupils)s).") % {"users": users, "pupils": pupils})


def _posted(c: Mapping[str, Any], n: Names) -> str:
    """A message, and the people it mentioned ("@Anna Jansen") when it did."""
    named = [n.user(pk) for pk in c.get("mentions") or ()]
    if not named:
        return _("Posted a message.")
    return _("Posted a message mentioning %(people)s.") % {"people": ", ".join(named)}


def _consent(decision: str) -> Sentence:
    def say(c: Mapping[str, Any], n: Names) -> str:
        names = {"pupil": n.pupil(c.get("pupil"))}
        return {"granted": _("Consent was given for %(pupil)s."),
                "refused": _("Consent was refused for %(pupil)s."),
                "withdrawn": _("Consent was withdrawn for %(pupil)s.")}[decision] % names

    return say


SENTENCES: dict[str, Sentence] = {
    # Parents' evenings (meetings; scope meetings:<school>).
    "meetings.round_published": lambda c, n: _("Published the parents' evening round %(title)s.")
    % {"title": c.get("title", "")},
    "meetings.booked": lambda c, n: _("Booked a meeting about %(pupil)s on %(when)s.") % {
        "pupil": n.pupil(c.get("pupil")), "when": _moment(c.get("starts_at"))},
    "meetings.changed": lambda c, n: _("Changed the meeting about %(pupil)s to %(when)s.") % {
        "pupil": n.pupil(c.get("pupil")), "when": _moment(c.get("starts_at"))},
    "meetings.cancelled": lambda c, n: _("Cancelled a parents' evening booking."),
    "meetings.moved": lambda c, n: _("Moved the meeting about %(pupil)s from %(old)s to %(new)s.")
    % {"pupil": n.pupil(c.get("pupil")), "old": _moment(c.get("from")), "new": _moment(c.get("to"))},
    "meetings.slot_blocked": lambda c, n: _("Blocked a time of a parents' evening."),
    "meetings.slot_unblocked": lambda c, n: _("Freed a blocked time of a parents' evening."),
    "meetings.reminded": lambda c, n: _("Reminded the families of their meetings tomorrow."),
    "meetings.feed_renewed": lambda c, n: _("Made a new secret address for the meetings calendar."),
    # Single sign-on (sso; scope integrations:<school>).
    "sso.configured": lambda c, n: _("Set up signing in with the school's account provider."),
    "sso.removed": lambda c, n: _("Removed signing in with the school's account provider."),
    "sso.signed_in": lambda c, n: _("Signed in with the school's account provider."),
    "sso.refused": lambda c, n: _("A sign-in with the school's account provider was refused."),
    # Each person's calendar (agenda; scope school:<id>).
    "agenda.holiday_added": lambda c, n: _("Added the holiday %(name)s (%(first)s to %(last)s).") % {
        "name": c.get("name", ""), "first": _day(c.get("starts_on")), "last": _day(c.get("ends_on"))},
    "agenda.holiday_removed": lambda c, n: _("Removed the holiday %(name)s.") % {
        "name": c.get("name", "")},
    "agenda.feed_made": lambda c, n: _("Made a secret calendar address."),
    "agenda.feed_renewed": lambda c, n: _("Made a new secret calendar address; the old one stopped working."),
    # The school admin's changes (scope school:<id>).
    "admin.school_created": lambda c, n: _("Set up the school."),
    "admin.account_created": lambda c, n: _("Created the account of %(user)s (%(role)s).") % {
        "user": n.user(c.get("user")), "role": _role(c.get("role"))},
    "admin.person_changed": lambda c, n: _("Changed %(fields)s of %(user)s.") % {
        "fields": _fields(User, c.get("fields")), "user": n.user(c.get("user"))},
    "admin.pupil_created": lambda c, n: _("Added the pupil %(pupil)s.") % {
        "pupil": n.pupil(c.get("pupil"))},
    "admin.pupil_changed": lambda c, n: _("Changed %(fields)s of the pupil %(pupil)s.") % {
        "fields": _fields(Pupil, c.get("fields")), "pupil": n.pupil(c.get("pupil"))},
    "admin.pupil_enrolled": lambda c, n: _("Enrolled %(pupil)s in %(class)s.") % {
        "pupil": n.pupil(c.get("pupil")), "class": n.school_class(c.get("school_class"))},
    "admin.pupil_moved": lambda c, n: _("Moved %(pupil)s to %(class)s.") % {
        "pupil": n.pupil(c.get("pupil")), "class": n.school_class(c.get("school_class"))},
    "admin.pupil_leave_set": lambda c, n: _("Set %(pupil)s to leave the school on %(day)s.") % {
        "pupil": n.pupil(c.get("pupil")), "day": _day(c.get("on"))},
    "admin.guardianship_added": lambda c, n: _("Made %(guardian)s a guardian of %(pupil)s.") % {
        "guardian": n.user(c.get("guardian")), "pupil": n.pupil(c.get("pupil"))},
    "admin.guardianship_changed": lambda c, n: _(
        "Changed how %(guardian)s is related to %(pupil)s.") % {
        "guardian": n.user(c.get("guardian")), "pupil": n.pupil(c.get("pupil"))},
    "admin.guardianship_removed": lambda c, n: _(
        "Removed %(guardian)s as a guardian of %(pupil)s.") % {
        "guardian": n.user(c.get("guardian")), "pupil": n.pupil(c.get("pupil"))},
    "admin.staff_assigned": lambda c, n: _("Made %(user)s a teacher of %(class)s.") % {
        "user": n.user(c.get("user")), "class": n.school_class(c.get("school_class"))},
    "admin.staff_unassigned": lambda c, n: _("Removed %(user)s as a teacher of %(class)s.") % {
        "user": n.user(c.get("user")), "class": n.school_class(c.get("school_class"))},
    "admin.class_created": lambda c, n: _("Created the class %(class)s.") % {
        "class": n.school_class(c.get("school_class"))},
    "admin.class_changed": lambda c, n: _("Changed the class %(class)s.") % {
        "class": n.school_class(c.get("school_class"))},
    "admin.pupil_unenrolled": lambda c, n: _("Took %(pupil)s out of %(class)s.") % {
        "pupil": n.pupil(c.get("pupil")), "class": n.school_class(c.get("school_class"))},
    "admin.policies_changed": _policies,
    "admin.invitation_issued": _invitation,
    "admin.invitation_revoked": lambda c, n: _("Revoked an invitation link."),
    "admin.invitations_emailed": _emailed,
    "admin.invitation_letters_issued": _letters,
    "admin.2fa_reset": lambda c, n: _("Reset the two-factor sign-in of %(user)s.") % {
        "user": n.user(c.get("user"))},
    "admin.leaver_set": lambda c, n: _("Set %(user)s to leave on %(day)s.") % {
        "user": n.user(c.get("user")), "day": _day(c.get("leaves_on"))},
    "admin.leavers_processed": _leavers,
    "admin.roster_imported": _roster,
    "admin.group_created": lambda c, n: _("Created the group %(conversation)s.") % {
        "conversation": n.conversation(c.get("conversation"))},
    "admin.member_added": _member_added,
    "admin.member_removed": lambda c, n: _("Removed %(user)s from %(conversation)s.") % {
        "user": n.user(c.get("user")), "conversation": n.conversation(c.get("conversation"))},
    # Accounts and sign-in.
    "account.language_set": lambda c, n: _("%(user)s chose %(language)s.") % {
        "user": n.user(c.get("user")), "language": _language(c.get("language"))},
    "account.password_set": lambda c, n: _("%(user)s set a password.") % {
        "user": n.user(c.get("user"))},
    "account.2fa_enrolled": lambda c, n: _("%(user)s set up two-factor sign-in.") % {
        "user": n.user(c.get("user"))},
    "account.recovery_code_used": lambda c, n: _("%(user)s signed in with a recovery code.") % {
        "user": n.user(c.get("user"))},
    "account.2fa_failed": lambda c, n: _("A wrong two-factor code was entered for %(user)s.") % {
        "user": n.user(c.get("user"))},
    "account.sign_in_paused": lambda c, n: _(
        "Sign-in for %(user)s was paused after repeated failures.") % {
        "user": n.user(c.get("user"))},
    "account.sessions_ended": lambda c, n: _("%(user)s was signed out everywhere.") % {
        "user": n.user(c.get("user"))},
    "account.deactivated": lambda c, n: _("The account of %(user)s was closed.") % {
        "user": n.user(c.get("user"))},
    "pupil.left": lambda c, n: _("%(pupil)s left the school.") % {
        "pupil": n.pupil(c.get("pupil"))},
    # Notifications.
    "notifications.device_added": lambda c, n: _("%(user)s turned on notifications on a device.")
    % {"user": n.user(c.get("user"))},
    "notifications.device_removed": lambda c, n: _(
        "Notifications were turned off on a device of %(user)s.") % {
        "user": n.user(c.get("user"))},
    "notifications.muted": lambda c, n: _("%(user)s muted %(conversation)s.") % {
        "user": n.user(c.get("user")), "conversation": n.conversation(c.get("conversation"))},
    "notifications.unmuted": lambda c, n: _("%(user)s unmuted %(conversation)s.") % {
        "user": n.user(c.get("user")), "conversation": n.conversation(c.get("conversation"))},
    # Consent.
    "consent.form_published": lambda c, n: _("Published a new version of a consent form."),
    "consent.granted": _consent("granted"),
    "consent.refused": _consent("refused"),
    "consent.withdrawn": _consent("withdrawn"),
    "consent.requested": lambda c, n: _("Asked the parents of %(class)s for consent.") % {
        "class": n.school_class(c.get("class"))},
    # Conversations.
    "message.posted": _posted,
    "message.edited": lambda c, n: _("Edited a message."),
    "message.retracted": lambda c, n: _("Retracted a message."),
    "message.pinned": lambda c, n: _("Pinned a message."),
    "message.unpinned": lambda c, n: _("Unpinned a message."),
    "message.acknowledged": lambda c, n: _("Acknowledged a message."),
    "message.reacted": _reacted,
    "message.reaction_removed": _reaction_removed,
    "message.ack_reminded": _reminded,
    "message.removed": lambda c, n: _("Removed a message for the school."),
    "message.released": lambda c, n: _("Published a message after review."),
    "message.rejected": lambda c, n: _("Did not publish a message after review."),
    "member.restricted": lambda c, n: _("Stopped %(user)s from sending messages for a while.") % {
        "user": n.user(c.get("user"))},
    "member.restriction_lifted": lambda c, n: _("Let %(user)s send messages again.") % {
        "user": n.user(c.get("user"))},
    "message.marked_sensitive": lambda c, n: _("Marked a message sensitive."),
    "direct.opened": lambda c, n: _("Started %(conversation)s.") % {
        "conversation": n.conversation(c.get("conversation"))},
    "person.blocked": lambda c, n: _("Blocked the one-to-one messages of %(user)s.") % {
        "user": n.user(c.get("blocked"))},
    "person.unblocked": lambda c, n: _("Accepted the one-to-one messages of %(user)s again.") % {
        "user": n.user(c.get("blocked"))},
    "conversation.lead_read": lambda c, n: _(
        "Read %(conversation)s as a safeguarding lead.") % {
        "conversation": n.conversation(c.get("conversation"))},
    "member.added": lambda c, n: _("%(user)s joined %(conversation)s.") % {
        "user": n.user(c.get("user")), "conversation": n.conversation(c.get("conversation"))},
    "member.class_added": lambda c, n: _("Added the families and teachers of %(class)s.") % {
        "class": n.school_class(c.get("class"))},
    "member.removed": lambda c, n: _("%(user)s left %(conversation)s.") % {
        "user": n.user(c.get("user")), "conversation": n.conversation(c.get("conversation"))},
    "attachment.added": lambda c, n: _("Shared a file."),
    "attachment.hidden": lambda c, n: _("A photo was hidden because consent was withdrawn."),
    # Absences (absence/actions.py): days, never the reason.
    "absence.reported": lambda c, n: _("Reported %(pupil)s absent: %(days)s.") % {
        "pupil": n.pupil(c.get("pupil")), "days": _days(c)},
    "absence.answered": lambda c, n: _(
        "Answered the school about %(pupil)s with an absence report: %(days)s.") % {
        "pupil": n.pupil(c.get("pupil")), "days": _days(c)},
    "absence.acknowledged": lambda c, n: _("Acknowledged the absence of %(pupil)s.") % {
        "pupil": n.pupil(c.get("pupil"))},
    "absence.marked_missing": lambda c, n: _(
        "Marked %(pupil)s absent, not reported, on %(day)s.") % {
        "pupil": n.pupil(c.get("pupil")), "day": _day(c.get("day"))},
    "absence.settings_changed": lambda c, n: _("Changed the school's absence settings."),
    # The records office and the archive itself.
    "hold.placed": lambda c, n: _("Placed a legal hold on %(target)s.") % {"target": n.target(c)},
    "hold.lifted": lambda c, n: _("Lifted the legal hold on %(target)s.") % {
        "target": n.target(c)},
    "retention.policy_set": lambda c, n: _("Changed how long the school keeps its records."),
    "export.requested": lambda c, n: _("Requested a subject access export of %(target)s.") % {
        "target": n.target(c)},
    "export.released": lambda c, n: _("Released a safeguarding record into the subject access "
                                      "export of %(target)s.") % {"target": n.target(c)},
    "export.made": _export_made,
    "export.reviewed": _export_reviewed,
    "purge.done": lambda c, n: _("Deleted records past the retention period."),
    "archive.sealed": lambda c, n: _("Sealed the archive."),
    "backup.made": lambda c, n: (_("Made an encrypted backup of everything.") if c.get("ok")
                                 else _("A backup failed.")),
    "backup.drilled": lambda c, n: (_("Restored a backup in a drill: it passed.") if c.get("ok")
                                    else _("Restored a backup in a drill: it failed.")),
    # What a DPO looked at (audit entries only).
    "archive.viewed": lambda c, n: _("Opened the archive."),
    "archive.verified": _verified,
    "archive.searched": lambda c, n: _("Searched the archive."),
    "search.exported": _search_exported,
    "exports.viewed": lambda c, n: _("Opened the list of exports."),
    "export.downloaded": lambda c, n: _("Downloaded a subject access export."),
    "export.review_viewed": lambda c, n: _("Opened the review of a pupil's export."),
    "search.export_requested": lambda c, n: _("Started a search export."),
    "search_export.downloaded": lambda c, n: _("Downloaded a search export."),
    "holds.viewed": lambda c, n: _("Opened the list of legal holds."),
    "retention.report_viewed": lambda c, n: _("Opened the retention report."),
    "audit.viewed": lambda c, n: _("Opened the audit log."),
    # Erasure and the DPO's paperwork.
    "pupil.erased": lambda c, n: _("The pupil record of %(pupil)s was erased on request.") % {
        "pupil": n.pupil(c.get("pupil"))},
    "account.erased": lambda c, n: (
        _("%(user)s was anonymised: the school's period for leavers' accounts had passed.")
        if c.get("automatic") else _("%(user)s was erased at their request.")) % {
        "user": n.user(c.get("user"))},
    "erasure.requested": lambda c, n: _("Recorded a request to erase %(user)s.") % {
        "user": _subject(c, n)},
    "erasure.withdrawn": lambda c, n: _("Withdrew the request to erase %(user)s.") % {
        "user": _subject(c, n)},
    "erasure.confirmed": lambda c, n: _("Confirmed the erasure of %(user)s.") % {
        "user": _subject(c, n)},
    "erasure.viewed": lambda c, n: _("Opened the erasure requests."),
    "erasure.request_viewed": lambda c, n: _("Opened the erasure request of %(user)s.") % {
        "user": _subject(c, n)},
    "paperwork.viewed": lambda c, n: _("Opened the record of processing."),
    "paperwork.downloaded": lambda c, n: _("Downloaded the record of processing."),
    # The school's systems (the api app, scope integrations:<id>).
    "api.token_created": lambda c, n: _(
        "Made the API token “%(name)s” (%(prefix)s…), acting as %(user)s.") % {
        "name": c.get("name", ""), "prefix": c.get("prefix", ""), "user": n.user(c.get("acts_as"))},
    "api.token_revoked": lambda c, n: _("Revoked the API token “%(name)s” (%(prefix)s…).") % {
        "name": c.get("name", ""), "prefix": c.get("prefix", "")},
}


def register_sentences(sentences: Mapping[str, Sentence]) -> None:
    """Sentences for the kinds an app above the records office archives (polls, activities,
    meetings, absences), registered from its ``AppConfig.ready``; a kind is said once."""
    for kind, say in sentences.items():
        if kind in SENTENCES and SENTENCES[kind] is not say:
            raise RuntimeError(f"a sentence for {kind!r} is already registered")
        SENTENCES[kind] = say


def sentence(kind: str, content: Mapping[str, Any], names: Names) -> str:
    say = SENTENCES.get(kind)
    if say is None:
        return _("Recorded a change.")
    return say(content, names)


def _who(actor: User | None) -> str:
    return actor.public_name if actor is not None else _("the system")


def record_lines(records: Sequence[Record]) -> list[Line]:
    """Lines for archive records (their payloads prefetched or not: one query either way)."""
    contents = {r.pk: c for r, c in ((r, _content(r)) for r in records)}
    names = Names(contents.values())
    actors = {u.pk: u for u in User.objects.filter(pk__in={r.actor_id for r in records
                                                          if r.actor_id})}
    return [Line(r.created_at, _who(actors.get(r.actor_id or 0)),
                 sentence(r.kind, contents[r.pk], names)) for r in records]


def _content(record: Record) -> Mapping[str, Any]:
    try:
        content = record.payload.content
    except Record.payload.RelatedObjectDoesNotExist:  # purged under retention
        return {}
    return content if isinstance(content, dict) else {}


def audit_lines(entries: Sequence[AuditEntry]) -> list[Line]:
    """Lines for the DPO's audit entries (``select_related("actor")`` them)."""
    names = Names(e.details for e in entries)
    return [Line(e.at, _who(e.actor), sentence(e.action, e.details, names)) for e in entries]


@dataclass(frozen=True)
class Found:
    """A search result as the DPO reads it: who did what where, as a sentence, and the text."""

    at: datetime
    text: str
    body: str


_FOUND: dict[str, Callable[[], str]] = {
    "message.posted": lambda: _("%(who)s wrote in %(conversation)s:"),
    "message.edited": lambda: _("%(who)s edited their message in %(conversation)s to read:"),
    "message.retracted": lambda: _("%(who)s retracted their message in %(conversation)s, "
                                   "which read:"),
}


def found_lines(records: Sequence[Record], titles: Mapping[int | None, str]) -> list[Found]:
    """Archived messages (``select_related("payload", "actor")``) as sentences naming the
    person and the conversation (``titles``: conversation id to its name)."""
    lines: list[Found] = []
    for r in records:
        say = _FOUND.get(r.kind, _FOUND["message.posted"])
        where = titles.get(r.conversation_id) or _("a removed conversation")
        content = _content(r)
        lines.append(Found(r.created_at, say() % {"who": _who(r.actor), "conversation": where},
                           str(content.get("body") or "")))
    return lines
