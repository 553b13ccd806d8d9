"""Conversations, who is in them (with history), and their messages."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from archive import scopes
from archive.folding import fold


class Conversation(models.Model):
    class Kind(models.TextChoices):
        CLASS = "class", _("Class group")
        GROUP = "group", _("Group")
        ANNOUNCEMENT = "announcement", _("Announcements")
        DIRECT = "direct", _("One to one")

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT,
                               related_name="conversations")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What a person named the conversation (a group, an announcement channel). A class group
    # has none: its name is made from its class in the reader's language (:attr:`name`).
    title = models.CharField(_("title"), max_length=200, blank=True)
    school_class = models.ForeignKey(
        "accounts.SchoolClass", on_delete=models.PROTECT, null=True, blank=True,
        related_name="conversations",
    )
    # The seq of the newest event (message, edit, retraction, ...); the next event takes
    # last_seq + 1 under a row lock.
    last_seq = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Announcement channels: a member's reply goes privately to the sender when this is set.
    allow_replies = models.BooleanField(_("members may reply privately"), default=True)
    # One-to-one conversations: "<smaller user id>:<larger user id>", so there is only one.
    direct_key = models.CharField(max_length=64, null=True, blank=True, unique=True,
                                  editable=False)
    # A one-to-one between staff and a pupil under the school's "visible to the safeguarding
    # leads" policy: the school's leads may read it without being members (docs/policy.md).
    visible_to_leads = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        permissions = [
            ("post_in_conversation", "Can post in the conversation"),
            ("manage_members", "Can manage the conversation's members"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name shown, in the active language: a class group's is made from its class when
        it is read ("4B class group", "Klassengroep 4B"), so it follows the reader's language
        and a renamed class; any other conversation's is its title."""
        school_class = self.school_class if self.school_class_id is not None else None
        if self.kind == self.Kind.CLASS and not self.title and school_class is not None:
            return gettext("%(class)s class group") % {"class": school_class.name}
        return self.title

    @property
    def scope(self) -> str:
        """The archive chain this conversation's records are appended to."""
        return scopes.conversation(self.pk)


class Membership(models.Model):
    """A period of membership. Ending it keeps the row: membership is history, not a flag."""

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT,
                                     related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="memberships")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The newest seq this member has seen here: unread counts are the messages after it.
    last_read_seq = models.PositiveBigIntegerField(default=0)
    # The newest seq already mentioned in an e-mail digest, so nothing is mailed twice.
    digested_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], condition=Q(ended_at__isnull=True),
                name="messaging_membership_one_open_period",
            ),
        ]
        indexes = [
            # Uses index: the inbox (a user's open memberships).
            models.Index(fields=["user", "ended_at"], name="messaging_membership_user"),
        ]


class Sensitivity(models.TextChoices):
    """What a staff member marked a message as: hidden behind a tap, never in a preview."""

    HEALTH = "health", _("health")
    FAMILY = "family", _("family")
    SEND = "send", _("special educational needs")


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT,
                                     related_name="messages")
    # The seq of the event that created the message; later edits take seqs of their own.
    seq = models.PositiveBigIntegerField()
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    # The live text. Emptied on retraction; the archive keeps every version until retention.
    body = models.TextField()
    # The live text folded for search (archive.folding): written with it (set_body), so a
    # retracted or removed message's old words are not found. Uses index:
    # messaging_message_body_folded_trgm (PostgreSQL only, migration 0013), the chat search.
    body_folded = models.TextField(default="", blank=True, editable=False)
    # Chosen by the client; a retry with the same id returns the first message instead of a copy.
    client_id = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(default=timezone.now)
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    edited_at = models.DateTimeField(null=True, blank=True)
    retracted_at = models.DateTimeField(null=True, blank=True)
    # Staff only: delivered and notified even outside office hours.
    urgent = models.BooleanField(default=False)
    # Class groups and announcements: members are asked to acknowledge having read it.
    ack_requested = models.BooleanField(default=False)
    # Pinned messages are listed above the conversation (staff pin them).
    pinned_at = models.DateTimeField(null=True, blank=True)
    # School moderation (messaging.actions.moderation). Removed: members see "Removed by the
    # school" and the live text is emptied (the archive keeps it). Held: stored for review and
    # shown to its sender only, until released (held_at cleared, a new seq) or rejected.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    held_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    # Marked by staff (a Sensitivity, or blank): shown behind a tap, left out of pushes,
    # digests, previews, others' searches and exports (docs/policy.md).
    sensitive = models.CharField(max_length=10, blank=True, default="",
                                 choices=Sensitivity.choices)
    # Posted by someone who is not staff into a conversation with pupils: its web addresses
    # are shown as plain text, never as links (docs/policy.md).
    plain_links = models.BooleanField(default=False)
    # A live card shown under the text ("<kind>:<id>", messaging.cards): a poll, an activity,
    # a parents' evening round. Its app renders it for each reader; the text says the same in
    # words for pushes, digests, searches and exports.
    card = models.CharField(max_length=40, blank=True, default="", db_default="")

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="messaging_message_seq"),
            # client_id first: a batch's retry check looks up many client_ids at once, and an
            # index led by conversation and sender made that a scan of everything the sender
            # ever wrote there.
            models.UniqueConstraint(
                fields=["client_id", "sender", "conversation"],
                name="messaging_message_idempotent",
            ),
        ]

    def set_body(self, text: str) -> None:
        """Change the live text and its folded copy together (save both fields)."""
        self.body = text
        self.body_folded = fold(text)

    @property
    def is_retracted(self) -> bool:
        return self.retracted_at is not None

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def is_held(self) -> bool:
        """Waiting for the school's review, or not published by it: its sender's alone."""
        return self.held_at is not None

    @property
    def sensitive_label(self) -> str:
        """The category's name in the active language ("health"), blank when not sensitive."""
        return str(Sensitivity(self.sensitive).label) if self.sensitive else ""

    @property
    def is_gone(self) -> bool:
        """Shows no text and no attachments: retracted by its sender or removed by the school."""
        return self.retracted_at is not None or self.removed_at is not None


class Event(models.Model):
    """One entry of a conversation's ordered event log: what a reconnecting client replays.

    Every change a member can see (a message, an edit, a retraction, a hidden photo) takes the
    conversation's next ``seq`` in the same transaction as the change itself, so the log has no
    gaps and a client that saw seq N asks for everything after N.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message"
        EDITED = "edited"
        RETRACTED = "retracted"
        PINNED = "pinned"
        UNPINNED = "unpinned"
        ATTACHMENT_HIDDEN = "attachment_hidden"
        # Moderation: a message held for review takes its seq as HELD (sent as a ``skip`` that
        # shows nothing), and a new MESSAGE seq when released; REMOVED by the school.
        HELD = "held"
        REMOVED = "message_removed"
        # Staff marked the message sensitive (docs/policy.md): pages hide its text.
        SENSITIVE = "marked_sensitive"

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT,
                                     related_name="events")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=32, choices=Kind.choices)
    message = models.ForeignKey(Message, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="events")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            # Uses index: resume and gap fill (events of a conversation after a seq).
            models.UniqueConstraint(fields=["conversation", "seq"], name="messaging_event_seq"),
        ]


class Restriction(models.Model):
    """The school decided that a person may read but not post, until ``until`` (or until it
    is lifted). Enforced by the ``conversation.post`` rule (:mod:`messaging.access`)."""

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="posting_restrictions")
    until = models.DateTimeField()
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Uses index: the conversation.post rule (a person's restrictions not lifted).
            models.Index(fields=["user", "until"], name="messaging_restriction_user",
                         condition=Q(lifted_at__isnull=True)),
        ]

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None and self.until > timezone.now()


class Block(models.Model):
    """``blocker`` accepts no one-to-one messages from ``blocked`` (never a member of staff):
    the blocked person's sends there are refused, and they cannot start one
    (:mod:`messaging.access`, docs/policy.md). Unblocking deletes the row; the archive keeps
    both."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="blocks")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Uses index: the one-to-one post and start rules (does the other block me?).
            models.UniqueConstraint(fields=["blocker", "blocked"], name="messaging_block_once"),
        ]


class Receipt(models.Model):
    """A member has seen a message ("seen by N of M")."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="messaging_receipt_once"),
        ]


class Mention(models.Model):
    """The sender named a member in a group message ("@Anna Jansen"): that member is told even
    when they muted the conversation (not in their quiet time, notifications.recipients), the
    message is highlighted for them, and the archive record names them (messaging.mentions)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="messaging_mention_once"),
        ]


class Acknowledgement(models.Model):
    """A member confirms having read a message that asked for it."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT,
                                related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"],
                                    name="messaging_acknowledgement_once"),
        ]


class Emoji(models.TextChoices):
    """The reactions a member may choose: a small fixed set, each with a name for screen
    readers and the who-reacted page, in the reader's language."""

    THUMBS_UP = "👍", _("Thumbs up")
    HEART = "❤️", _("Heart")
    LAUGHING = "😂", _("Laughing")
    SURPRISED = "😮", _("Surprised")
    SAD = "😢", _("Sad")
    THANKS = "🙏", _("Thank you")


class Reaction(models.Model):
    """A member's reaction to a message: one per person and message, as in other chat apps
    (choosing another replaces it, choosing the same again removes it). Deleted with its
    message: retracted or removed by the school (the archive keeps the record), or purged."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    emoji = models.CharField(max_length=8, choices=Emoji.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Uses index: a message's reactions (the counts, the who-reacted page) and the
            # reader's own (the action's replace-or-remove).
            models.UniqueConstraint(fields=["message", "user"], name="messaging_reaction_once"),
        ]


class AcknowledgementReminder(models.Model):
    """Staff reminded the families who had not acknowledged a message yet: at most once a
    day per message (the school's day), so families are not pestered by repeated presses."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="ack_reminders")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    # The calendar day in the school's time zone: what "once a day" counts.
    day = models.DateField()
    # How many guardians it went to.
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Uses index: the last reminder of a message (the acknowledgement page's button).
            models.UniqueConstraint(fields=["message", "day"],
                                    name="messaging_ackreminder_once_a_day"),
        ]


def _attachment_path(instance: Attachment, filename: str) -> str:
    # The token is the only name on disk: nothing about the uploader or the original name.
    return f"attachments/{instance.token[:2]}/{filename}"


class Attachment(models.Model):
    """An image, PDF or voice message, uploaded over HTTP and then referenced by one message.

    Reached only through :func:`messaging.views.attachment` by its random ``token``, which
    checks that the viewer may read the message's conversation.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", _("image")
        PDF = "pdf", _("PDF")
        AUDIO = "audio", _("voice message")

    token = models.CharField(max_length=64, unique=True, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT,
                                     related_name="attachments")
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    message = models.ForeignKey(Message, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="attachments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    content_type = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    thumbnail = models.FileField(upload_to=_attachment_path, max_length=300, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # Voice messages: the length the recording browser measured, within the school's limit.
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # Photos: the pupils the sender tagged, or the sender's statement that nobody is
    # identifiable. Consent is checked against these tags, and withdrawn against them later.
    pupils = models.ManyToManyField("accounts.Pupil", blank=True, related_name="+")
    no_identifiable_pupils = models.BooleanField(default=False)
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Uses index: unclaimed uploads of a sender (claiming on send, cleaning up).
            models.Index(fields=["uploader", "message"], name="messaging_attachment_owner"),
        ]

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class OfficeHours(models.Model):
    """When a staff member reads messages, per weekday, in the school's time zone. A staff
    member with no rows has the school default (Monday to Friday, 08:00-17:00)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="office_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("office hours")
        verbose_name_plural = _("office hours")
        constraints = [
            models.UniqueConstraint(fields=["user", "weekday"],
                                    name="messaging_officehours_one_per_day"),
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")),
                                   name="messaging_officehours_ends_after_start"),
        ]


class ScheduledMessage(models.Model):
    """A staff member's message waiting for its time. Posted by the ``send_scheduled`` task
    through ``post_message`` with its own ``client_id``, so a retried run never posts twice."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT,
                                     related_name="scheduled")
    body = models.TextField()
    send_at = models.DateTimeField()
    client_id = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    message = models.ForeignKey(Message, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        indexes = [
            # Uses index: the send_scheduled task (due, not yet sent).
            models.Index(fields=["send_at"], name="messaging_scheduled_due",
                         condition=Q(message__isnull=True, cancelled_at__isnull=True,
                                     failure="")),
        ]


class Presence(models.Model):
    """A live socket with a conversation open on a visible page, until ``expires_at`` (its
    heartbeat moves it on). The embedded default's store; with Redis it is kept there instead
    (:mod:`messaging.presence`). A hint for the push sender, not a record: not archived."""

    socket = models.CharField(max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    # The push subscription of the socket's browser, when it has one: that device is skipped.
    endpoint = models.CharField(max_length=2000, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["socket", "conversation"],
                                    name="messaging_presence_one_per_socket"),
        ]
        indexes = [
            # Uses index: the push sender (who has this conversation open).
            models.Index(fields=["conversation", "expires_at"], name="messaging_presence_open"),
        ]
