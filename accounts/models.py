"""People, schools, classes and who is responsible for which pupil."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class School(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    # The language of what the school sends to a person who has not chosen one (invitations,
    # letters, digests, pushes) and of the DPO's paperwork; blank: the installation's
    # LANGUAGE_CODE. One installation can serve schools of several countries.
    language = models.CharField(
        _("the school's language"), max_length=10, choices=settings.LANGUAGES, blank=True,
        default="",
        help_text=_("Used for invitations, mails and notifications to people who have not "
                    "chosen a language of their own, and for the data-protection paperwork."))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Amsterdam")
    digital_consent_age = models.PositiveSmallIntegerField(_("digital-consent age"), default=16)
    require_staff_2fa = models.BooleanField(_("staff must use two-factor sign-in"), default=True)
    pupil_accounts = models.BooleanField(_("pupils may have accounts"), default=False)
    parent_direct_messages = models.BooleanField(
        _("parents may message other parents one to one"), default=False
    )
    staff_pupil_direct_messages = models.BooleanField(
        _("staff may message a pupil one to one"), default=False
    )
    # How a one-to-one between staff and a pupil is never a private one (docs/policy.md):
    # a second member of staff is in it, or the school's safeguarding leads may read it.
    staff_pupil_direct = models.CharField(
        _("a one-to-one conversation between staff and a pupil"), max_length=20,
        default="visible_to_leads",
        choices=[("visible_to_leads", _("is visible to the school's safeguarding leads")),
                 ("second_staff", _("includes a second member of staff"))],
        help_text=_("Pupils never message other pupils one to one."))
    confirm_group_size = models.PositiveSmallIntegerField(
        _("ask the sender to confirm a message to more people than"), default=15,
        help_text=_("Guards against a private message sent to a whole class group by mistake."),
    )
    # Rate limits per person (accounts.ratelimit): a burst at once, then a sustained rate.
    post_burst = models.PositiveSmallIntegerField(
        _("messages a person may send at once"), default=20)
    posts_per_minute = models.PositiveSmallIntegerField(
        _("then messages a person may send per minute"), default=60)
    upload_burst = models.PositiveSmallIntegerField(
        _("files a person may upload at once"), default=10)
    uploads_per_minute = models.PositiveSmallIntegerField(
        _("then files a person may upload per minute"), default=6)
    invitation_burst = models.PositiveSmallIntegerField(
        _("invitation links an admin may make at once"), default=50)
    invitations_per_minute = models.PositiveSmallIntegerField(
        _("then invitation links an admin may make per minute"), default=30)
    # Voice messages (messaging.attachments.check_voice): how long and how large one may be.
    voice_max_seconds = models.PositiveSmallIntegerField(
        _("longest voice message, in seconds"), default=120)
    voice_max_kilobytes = models.PositiveIntegerField(
        _("largest voice message, in kilobytes"), default=2048)
    # What a push notification shows on a locked phone (notifications.payload).
    lock_screen_text = models.CharField(
        _("text of a message on the lock screen"), max_length=10, default="none",
        choices=[("none", _("Sender and conversation only")),
                 ("excerpt", _("The start of the message"))],
        help_text=_("Anyone who picks up a parent's phone can read the lock screen."))
    # Whether browsers keep the last opened conversations for reading offline (the service
    # worker of notifications); off for schools whose families share devices.
    offline_copies = models.BooleanField(
        _("keep the last opened conversations on the device for reading offline"), default=True,
        help_text=_("Switch this off where families share phones or computers."))

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self) -> str:
        return self.name

    @property
    def preferred_language(self) -> str:
        """The language the school writes in to someone who chose none: its own, else the
        installation's."""
        return self.language or str(settings.LANGUAGE_CODE)


class Role(models.TextChoices):
    ADMIN = "admin", _("School admin")
    TEACHER = "teacher", _("Teacher")
    STAFF = "staff", _("Staff")
    PARENT = "parent", _("Parent or guardian")
    PUPIL = "pupil", _("Pupil")
    DPO = "dpo", _("Data-protection officer")
    SAFEGUARDING = "safeguarding", _("Safeguarding lead")

    @classmethod
    def school_staff(cls) -> frozenset[str]:
        """Everyone who works for the school: what "staff" means in chat (urgent messages,
        pins, receipts, office hours, named in exports) and for two-factor sign-in."""
        return SCHOOL_STAFF_ROLES

    @classmethod
    def class_staff(cls) -> frozenset[str]:
        """The roles that can be assigned to a class and act for it: teach it, manage its
        groups, see and ask for its consent. The DPO and the safeguarding lead are not among
        them: they oversee, they do not teach."""
        return CLASS_STAFF_ROLES

    @classmethod
    def operator_managed(cls) -> frozenset[str]:
        """Separation of duties: these people oversee everyone else's records, the school
        admin included, so only the operator (``manage.py operator_account``) creates them,
        resets their password or second factor, or changes their role."""
        return OPERATOR_ROLES


SCHOOL_STAFF_ROLES: frozenset[str] = frozenset(
    {Role.ADMIN, Role.TEACHER, Role.STAFF, Role.DPO, Role.SAFEGUARDING})
CLASS_STAFF_ROLES: frozenset[str] = frozenset({Role.TEACHER, Role.STAFF, Role.ADMIN})
OPERATOR_ROLES: frozenset[str] = frozenset({Role.DPO, Role.SAFEGUARDING})
# The name the rest of the code imported before the sets moved onto Role.
STAFF_ROLES = SCHOOL_STAFF_ROLES


class User(AbstractUser):
    """An account the school created. Contact details are never shown to other members."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="users", null=True, blank=True,
        verbose_name=_("school"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PARENT)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The school's own reference (the roster's guardian_ref); blank for accounts made by hand.
    ref = models.CharField(_("reference"), max_length=64, blank=True)
    # The person's sourcedId in the school's OneRoster files (accounts.oneroster); blank for
    # accounts that came from elsewhere. The next file updates the account it names.
    sourced_id = models.CharField(_("OneRoster sourcedId"), max_length=255, blank=True,
                                  default="")
    # A leave date set by an admin; process_leavers applies it on that day.
    leaves_on = models.DateField(_("leaves on"), null=True, blank=True)
    # When the account was deactivated as a leaver; a leaver is never made a member again.
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    # The language of the person's pages and mails, chosen at first login and with the footer's
    # language selector; blank (never chosen): the installation's LANGUAGE_CODE.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES,
                                blank=True)
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The 30-second time step of the last TOTP code accepted: each code logs in once.
    totp_last_step = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        indexes = [
            models.Index(fields=["school", "role"], name="accounts_user_school_role"),
            # Uses index: process_leavers (due leave dates).
            models.Index(fields=["leaves_on"], name="accounts_user_leaves_on"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "ref"], condition=~Q(ref=""), name="accounts_user_unique_ref"
            ),
            models.UniqueConstraint(
                fields=["school", "sourced_id"], condition=~Q(sourced_id=""),
                name="accounts_user_unique_sourced_id"),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """What other members see: a display name, never a phone number or e-mail address."""
        return self.display_name or self.get_full_name() or self.username

    @property
    def preferred_language(self) -> str:
        """The language to write to this person in: theirs, else their school's, else the
        installation's default; never the language of whoever's screen caused the mail or page.
        (Reads the school: callers writing to many people select it with them.)"""
        if self.language:
            return self.language
        school = self.school if self.school_id is not None else None
        return school.preferred_language if school is not None else str(settings.LANGUAGE_CODE)

    @property
    def is_school_staff(self) -> bool:
        """Works for the school (:meth:`Role.school_staff`)."""
        return self.role in SCHOOL_STAFF_ROLES

    @property
    def is_class_staff_role(self) -> bool:
        """Has a role that can be assigned to a class (:meth:`Role.class_staff`); whether they
        are assigned to a given class is :func:`consent.access.is_class_staff`'s question."""
        return self.role in CLASS_STAFF_ROLES

    @property
    def is_school_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def needs_two_factor(self) -> bool:
        """Staff, admins and the DPO sign in with a second factor when the school says so;
        an operator (superuser), who can reach every school through the Django admin, always."""
        if self.is_superuser:
            return True
        return bool(self.school and self.school.require_staff_2fa and self.is_school_staff)


class SchoolClass(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classes")
    name = models.CharField(_("name"), max_length=50)
    # The homeroom class's sourcedId in the school's OneRoster files; blank otherwise.
    sourced_id = models.CharField(_("OneRoster sourcedId"), max_length=255, blank=True,
                                  default="")
    staff = models.ManyToManyField(
        User, through="StaffAssignment", related_name="taught_classes", blank=True
    )

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="accounts_class_unique_name"),
            models.UniqueConstraint(
                fields=["school", "sourced_id"], condition=~Q(sourced_id=""),
                name="accounts_class_unique_sourced_id"),
        ]

    def __str__(self) -> str:
        return self.name


class StaffAssignment(models.Model):
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "user"], name="accounts_staffassignment_unique"
            )
        ]


# An erased pupil's reference starts with this (records/erasure.py); pages never show it.
ERASED_REF_PREFIX = "erased-"


class Pupil(models.Model):
    """A pupil of the school; a pupil need not have an account."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="pupils")
    ref = models.CharField(_("pupil reference"), max_length=64)
    # The pupil's sourcedId in the school's OneRoster files; blank for pupils from elsewhere.
    sourced_id = models.CharField(_("OneRoster sourcedId"), max_length=255, blank=True,
                                  default="")
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="pupil_record"
    )
    # The day the pupil leaves (set by an admin or by a roster import); applied on that day.
    left_on = models.DateField(_("leaves on"), null=True, blank=True)

    class Meta:
        verbose_name = _("pupil")
        verbose_name_plural = _("pupils")
        constraints = [
            models.UniqueConstraint(fields=["school", "ref"], name="accounts_pupil_unique_ref"),
            models.UniqueConstraint(
                fields=["school", "sourced_id"], condition=~Q(sourced_id=""),
                name="accounts_pupil_unique_sourced_id"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def shown_ref(self) -> str:
        """The school's reference as pages show it: blank once the pupil was erased (the
        stored value is then a keyed stand-in, kept only so no roster import matches it)."""
        return "" if self.ref.startswith(ERASED_REF_PREFIX) else self.ref


class Guardianship(models.Model):
    guardian = models.ForeignKey(User, on_delete=models.CASCADE, related_name="guardianships")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="guardianships")
    relationship = models.CharField(_("relationship"), max_length=50, blank=True)
    parental_responsibility = models.BooleanField(_("parental responsibility"), default=True)
    no_contact = models.BooleanField(_("no contact"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guardian", "pupil"], name="accounts_guardianship_unique")
        ]


class EnrolmentQuerySet(models.QuerySet["Enrolment"]):
    def current(self, on: date | None = None) -> EnrolmentQuerySet:
        """The enrolments that hold on ``on`` (today in the server's zone by default): the one
        definition of "the pupil is in this class" that every caller asks.

        An enrolment runs from ``starts_on`` up to, not including, ``ends_on``:

        - on its start day it is current (a pupil enrolled today is in the class today);
        - on its end day it is no longer current. When a pupil moves class, :func:`enrol`
          ends the old enrolment and starts the new one on the same day; with the end day
          excluded the pupil is in exactly one class that day, the new one, so the old
          class's group, consent coverage and photo tags let go of them that same morning;
        - an enrolment that ends on the day it starts (a move corrected the same day) was
          never current;
        - a pupil whose leave date (``Pupil.left_on``) has come is in no class from that day,
          even before the leaver processing ends the enrolment rows.
        """
        day = on or timezone.localdate()
        return self.open_on(day).filter(Q(pupil__left_on__isnull=True) | Q(pupil__left_on__gt=day))

    def open_on(self, on: date | None = None) -> EnrolmentQuerySet:
        """The rows not yet ended on ``on`` (same dates as :meth:`current`), whatever the
        pupil's leave date: what the actions that end enrolments close. Not a membership
        question: ask :meth:`current` for that."""
        day = on or timezone.localdate()
        return self.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day))


class Enrolment(models.Model):
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="enrolments")
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="enrolments"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="accounts_enrolment_ends_after_start",
            )
        ]


class Invitation(models.Model):
    """A one-time link to set a password: an invitation for a new account or an admin-issued
    reset. Only a hash of the token is stored, so a database dump cannot be used to log in."""

    class Purpose(models.TextChoices):
        INVITE = "invite", _("invitation")
        RESET = "reset", _("password reset")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.INVITE)
    token_hash = models.CharField(max_length=64, unique=True)
    # A printed letter's short code (accounts.shortcodes), as an HMAC; null for a link that
    # was shown or e-mailed. Lives and dies with the invitation.
    short_code_hash = models.CharField(max_length=64, null=True, blank=True, unique=True,
                                       editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    @property
    def is_pending(self) -> bool:
        return (self.used_at is None and self.revoked_at is None
                and self.expires_at > timezone.now())


class RecoveryCode(models.Model):
    """A single-use two-factor recovery code, stored hashed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)


class RosterImport(models.Model):
    """A roster file being applied by the worker (:mod:`accounts.actions.roster_imports`):
    how far it has come, in the file's lines, and what it did. The file's text is kept until
    the import is done, so a failed import loses nothing and can be tried again."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to start")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    # The states in which the school's roster is being changed: one import at a time.
    ACTIVE = (State.PENDING, State.RUNNING)

    class Kind(models.TextChoices):
        CSV = "csv", _("the school's roster CSV")
        ONEROSTER = "oneroster", _("a OneRoster 1.2 CSV zip")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="roster_imports")
    # What ``text`` holds: the CSV's text, or a OneRoster zip in base64 (accounts.oneroster).
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CSV)
    started_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    text = models.TextField(blank=True)
    encoding = models.CharField(max_length=20, default="utf-8")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    lines_done = models.PositiveIntegerField(default=0)
    lines_total = models.PositiveIntegerField(default=0)
    # {"summary": str, "changes": [str]} when done; {"errors": [str]} or {"failure": str} when
    # it failed: sentences in the language of the admin who started it.
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        constraints = [
            models.UniqueConstraint(fields=["school"], condition=Q(state__in=["pending", "running"]),
                                    name="accounts_rosterimport_one_at_a_time"),
        ]

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE
