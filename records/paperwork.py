"""The DPO's paperwork: the record-of-processing entry and a DPIA starting point, written from
the installation's actual configuration (its retention policy, where it stores what, which
security measures are switched on), in the school's language.

:func:`document` gathers the facts as sections; the page renders them as HTML and
:func:`markdown` as a Markdown file a DPO pastes into their register. Change a retention period
or a setting and the document says so the next time it is opened: nothing here is typed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Pupil, Role, School, User
from archive.models import DEFAULT_RETENTION_DAYS, Category
from archive.retention import retention_days
from records import backup


@dataclass
class Section:
    title: str
    items: list[str] = field(default_factory=list)
    # A table: its header and rows (every cell already text).
    header: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = field(default_factory=list)
    intro: str = ""


@dataclass
class Document:
    title: str
    generated: str
    language: str
    sections: list[Section]


def _days(days: int) -> str:
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


def _yes(on: bool) -> str:
    return _("on") if on else _("off")


def _people(school: School) -> Section:
    counts = dict(User.objects.filter(school=school, is_active=True).values_list("role")
                  .annotate(n=Count("pk")).values_list("role", "n"))
    rows: list[tuple[str, ...]] = [(str(label), str(counts.get(value, 0)))
                                   for value, label in Role.choices]
    rows.append((_("Pupils on the roster"), str(Pupil.objects.filter(school=school).count())))
    return Section(_("Categories of people"), header=(_("Who"), _("Active accounts")), rows=rows)


def _retention(school: School) -> Section:
    days = retention_days(school)
    rows: list[tuple[str, ...]] = [(str(label), _days(days[value]),
             _("default") if days[value] == DEFAULT_RETENTION_DAYS[value] else _("set by the school"))
            for value, label in Category.choices]
    return Section(
        _("Retention"), header=(_("Records"), _("Kept for"), _("Setting")), rows=rows,
        intro=_("Deleted automatically when the period has passed, unless a legal hold keeps "
                "them. A leaver's account is anonymised after its period: name replaced by a "
                "pseudonym, contact details deleted."))


def _storage() -> Section:
    db = settings.DATABASES["default"]
    engine = {"django.db.backends.postgresql": "PostgreSQL",
              "django.db.backends.sqlite3": "SQLite"}.get(db["ENGINE"], db["ENGINE"])
    where = db.get("HOST") or _("this server")
    items = [
        _("Database: %(engine)s on %(host)s (database %(name)s).") % {
            "engine": engine, "host": where, "name": db.get("NAME", "")},
        _("Uploaded photos and files: the folder %(path)s on the server.") % {
            "path": settings.MEDIA_ROOT},
    ]
    if backup.configured():
        count = len(settings.SCHOOLCHAT_BACKUP_RECIPIENTS)
        items.append(ngettext(
            "Backups: the folder %(path)s, encrypted (age, X25519) to %(count)d key; kept "
            "%(keep)s.",
            "Backups: the folder %(path)s, encrypted (age, X25519) to %(count)d keys; kept "
            "%(keep)s.", count) % {"path": settings.SCHOOLCHAT_BACKUP_DIR, "count": count,
                                   "keep": settings.SCHOOLCHAT_BACKUP_KEEP})
    else:
        items.append(_("Backups: not configured (no encryption key is set)."))
    items.append(_("Nothing is sent to servers outside the installation except e-mail (through "
                   "%(host)s) and push notifications (through each browser's push service, "
                   "encrypted for the receiving browser).") % {"host": settings.EMAIL_HOST})
    return Section(_("Where the data is stored"), items=items)


def _security(school: School) -> Section:
    hsts = int(getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0)
    csp = bool(getattr(settings, "CONTENT_SECURITY_POLICY", None))
    rows: list[tuple[str, ...]] = [
        (_("Two-factor sign-in for staff"), _yes(school.require_staff_2fa)),
        (_("Cookies only over HTTPS"), _yes(bool(settings.SESSION_COOKIE_SECURE
                                                 and settings.CSRF_COOKIE_SECURE))),
        (_("HTTPS enforced by the browser (HSTS)"),
         _("on, %(days)s") % {"days": _days(hsts // 86400)} if hsts else _yes(False)),
        (_("Content security policy (no outside scripts or styles)"), _yes(csp)),
        (_("Sign-in paused after failed attempts"),
         _("after %(count)d attempts") % {"count": settings.AXES_FAILURE_LIMIT}),
        (_("Sessions end after"), _days(max(1, settings.SESSION_COOKIE_AGE // 86400))),
        (_("Backups encrypted"), _yes(backup.configured())),
        (_("Tamper-evident archive (hash chains, hourly seals, checked on demand)"), _yes(True)),
        (_("Contact details hidden from other members"), _yes(True)),
    ]
    return Section(_("Security measures"), header=(_("Measure"), _("State")), rows=rows)


def document(school: School, now: datetime | None = None) -> Document:
    """The record of processing and the DPIA starting point, in the school's language."""
    moment = now or timezone.now()
    language = school.preferred_language  # set on the admin's policies page
    with translation.override(language):
        dpos = ", ".join(User.objects.filter(school=school, role=Role.DPO, is_active=True)
                         .order_by("display_name").values_list("display_name", flat=True))
        sections = [
            Section(_("Controller"), items=[
                _("The school: %(school)s.") % {"school": school.name},
                _("Data-protection officer: %(names)s.") % {"names": dpos or _("not yet named")},
                _("Processing: Schoolchat, the school's messaging service, installed and run "
                  "for the school."),
            ]),
            Section(_("Purposes"), items=[
                _("Messages between the school and families, and between staff."),
                _("Announcements to classes and to the whole school, with acknowledgement."),
                _("Recording consent for photos and participation, and honouring withdrawals."),
                _("Keeping the records the school must keep, and answering requests for access "
                  "and erasure."),
                _("Security: sign-in, protection against misuse, and an audit trail."),
            ]),
            _people(school),
            Section(_("Categories of data"), items=[
                _("Names, e-mail addresses, phone numbers and the school's references."),
                _("Pupils' names, dates of birth, classes and who their guardians are."),
                _("Messages, photos and files, with who read and acknowledged them."),
                _("Consent decisions with the form version they were given on."),
                _("Sign-in data: sessions, two-factor secrets, failed attempts."),
                _("Devices that receive push notifications."),
                _("An audit trail of what the school's admin and the data-protection officer did."),
            ]),
            Section(_("Recipients"), items=[
                _("Members of a conversation see its messages and each other's names; contact "
                  "details only the school admin and the data-protection officer see."),
                _("The school admin manages accounts and classes; the data-protection officer "
                  "reads the archive."),
                _("The installation's operator (the server's administrator)."),
                _("The e-mail provider and the browsers' push services, for delivery only."),
            ]),
            _retention(school),
            _storage(),
            _security(school),
            Section(_("Data-protection impact assessment: starting point"), items=[
                _("Description: the processing above, for the purposes above."),
                _("Necessity: families and staff need one channel the school controls; "
                  "contact details stay hidden from other members."),
                _("Risk: a message reaches the wrong people. Measures: class groups follow the "
                  "roster; confirmation before sending to a large group."),
                _("Risk: photos of pupils without consent. Measures: tagged photos are checked "
                  "against consent; a withdrawal hides them at once."),
                _("Risk: an account is taken over. Measures: two-factor sign-in for staff, "
                  "paused sign-in after failed attempts, sessions that end."),
                _("Risk: records kept too long or deleted too early. Measures: the retention "
                  "above, legal holds, erasure on request, a tamper-evident archive."),
                _("To complete: the residual risks, the advice of the data-protection officer, "
                  "and the school's decision."),
            ]),
        ]
        title = _("Record of processing: Schoolchat at %(school)s") % {"school": school.name}
        generated = _("Made from this installation's settings on %(day)s.") % {
            "day": formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")}
    return Document(title, generated, language, sections)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(doc: Document) -> str:
    """The document as Markdown (headings, lists and tables)."""
    out = [f"# {doc.title}", "", f"_{doc.generated}_", ""]
    for section in doc.sections:
        out += [f"## {section.title}", ""]
        if section.intro:
            out += [section.intro, ""]
        out += [f"- {item}" for item in section.items]
        if section.items:
            out.append("")
        if section.header:
            out.append("| " + " | ".join(map(_cell, section.header)) + " |")
            out.append("|" + "---|" * len(section.header))
            out += ["| " + " | ".join(map(_cell, row)) + " |" for row in section.rows]
            out.append("")
    return "\n".join(out)
