"""Who may read, post in and manage a conversation.

The answer comes from django-guardian object permissions, which only the membership actions
(:mod:`messaging.actions`) grant and revoke. Superuser status confers nothing here: a school
admin manages membership but does not read other people's chats.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user, get_user_perms

from accounts.access import can, rule
from accounts.models import Enrolment, Guardianship, Pupil, Role, School, User
from consent.access import consent_visible_pupils
from messaging.models import Block, Conversation, Membership, Message, Restriction

READ = "view_conversation"
POST = "post_in_conversation"
MANAGE = "manage_members"


# (user id, conversation id) -> permission codenames, inside remembered_permissions() only.
_remembered: ContextVar[dict[tuple[int, int], frozenset[str]] | None] = ContextVar(
    "remembered_conversation_permissions", default=None)


@contextlib.contextmanager
def remembered_permissions() -> Iterator[None]:
    """Within the block, a user's permissions on a conversation are read from the database
    once. Only for work that changes no membership, such as storing a batch of sends."""
    token = _remembered.set({})
    restrictions = _restrictions.set({})
    try:
        yield
    finally:
        _restrictions.reset(restrictions)
        _remembered.reset(token)


def _has(user: User, codename: str, conversation: Any) -> bool:
    if not isinstance(conversation, Conversation):
        return False
    memo = _remembered.get()
    if memo is None:
        return codename in get_user_perms(user, conversation)
    key = (user.pk, conversation.pk)
    if key not in memo:
        memo[key] = frozenset(get_user_perms(user, conversation))
    return codename in memo[key]


# --- conversations: the one-object check and its queryset twins, side by side ---------------

@rule("conversation.read")
def _read(user: User, conversation: Any) -> bool:
    """Members with read rights; and the school's safeguarding leads, for the one-to-ones
    between staff and a pupil that the school's policy makes visible to them."""
    if _has(user, READ, conversation):
        return True
    return (isinstance(conversation, Conversation) and conversation.visible_to_leads
            and is_lead_of(user, conversation.school_id))


def lead_visible_conversations(user: User | AnonymousUser) -> QuerySet[Conversation]:
    """The conversations ``user`` reads as a safeguarding lead without being a member: the
    school's one-to-ones between staff and a pupil under the "visible to the safeguarding
    leads" policy. With :func:`readable_conversations`, the queryset twin of
    ``conversation.read``; kept apart so that a lead's inbox lists their own conversations."""
    if not isinstance(user, User) or user.school_id is None or not is_lead_of(user, user.school_id):
        return Conversation.objects.none()
    return Conversation.objects.filter(visible_to_leads=True, school_id=user.school_id)


def readable_conversations(user: User | AnonymousUser) -> QuerySet[Conversation]:
    """The queryset twin of ``can(user, "conversation.read", c)``: same answer for lists."""
    if not user.is_authenticated or not user.is_active:
        return Conversation.objects.none()
    return get_objects_for_user(
        user, f"messaging.{READ}", klass=Conversation,
        with_superuser=False, accept_global_perms=False,
    )


def readable_conversation_or_none(user: User | AnonymousUser, conversation_id: int) -> Conversation | None:
    """The conversation when the user may read it; None both when missing and when forbidden,
    so a caller cannot tell the two apart (outsiders get 404, never 403)."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or not can(user, "conversation.read", conversation):
        return None
    return conversation


def readable_message_or_none(user: User | AnonymousUser, message_id: int) -> Message | None:
    """The message when the user may read its conversation, else None (missing or forbidden)."""
    message = (Message.objects.select_related("conversation", "sender")
               .filter(pk=message_id).first())
    if message is None or not can(user, "conversation.read", message.conversation):
        return None
    if message.held_at is not None and message.sender_id != user.pk:
        return None  # held for the school's review: its sender's alone (messaging.screening)
    return message


# --- posting, and what the sender may do to messages ----------------------------------------


@rule("conversation.post")
def _post(user: User, conversation: Any) -> bool:
    """Members with post rights, unless the school restricted them (:func:`posting_restriction`)
    or, in a one-to-one, the policy or a block refuses them (:func:`direct_post_refusal`)."""
    return (_has(user, POST, conversation) and posting_restriction(user) is None
            and direct_post_refusal(user, conversation) is None)


@rule("conversation.manage_members")
def _manage(user: User, conversation: Any) -> bool:
    return _has(user, MANAGE, conversation)


def posts_in(user: User, conversation: Conversation) -> bool:
    """Whether a membership of ``user`` in ``conversation`` carries the right to post:
    announcement channels are read-only for everyone but staff."""
    return conversation.kind != Conversation.Kind.ANNOUNCEMENT or user.is_school_staff


def may_manage_groups(member: User) -> bool:
    """Whether ``member`` may be made a manager of a group: staff who can be assigned to a
    class and the school's admins, never parents, pupils or those who oversee (DPO, lead)."""
    return member.is_class_staff_role


def may_join_by_own_hand(actor: User, group: Conversation) -> bool:
    """Whether ``actor`` may add themself to ``group``: only if they can already read it.
    Joining shows the whole history, so a manager who cannot read it (an admin managing the
    school's groups) is added by another manager, which the members see."""
    return can(actor, "conversation.read", group)


# --- members: who sees and who changes a conversation's member list -------------------------

@rule("membership.list")
def _see_members(user: User, conversation: Any) -> bool:
    """The member list: for those who read the conversation, and the school's admins."""
    if not isinstance(conversation, Conversation):
        return False
    return can(user, "conversation.read", conversation) or can(
        user, "school.manage", conversation.school
    )


@rule("membership.add")
def _add_member(user: User, conversation: Any) -> bool:
    """Class conversations are derived from the roster: nobody adds to them by hand. Other
    groups are managed by the school's admins and by the staff given manager rights."""
    if not isinstance(conversation, Conversation):
        return False
    if conversation.kind in (Conversation.Kind.CLASS, Conversation.Kind.DIRECT):
        return False
    if can(user, "school.manage", conversation.school):
        return True
    return may_manage_groups(user) and can(user, "conversation.manage_members", conversation)


@rule("membership.remove")
def _remove_member(user: User, conversation: Any) -> bool:
    return _add_member(user, conversation)


@rule("message.edit")
def _edit(user: User, message: Any) -> bool:
    """Only the sender edits, and only while still allowed to post there."""
    return (isinstance(message, Message) and message.sender_id == user.pk
            and _post(user, message.conversation))


@rule("message.retract")
def _retract(user: User, message: Any) -> bool:
    return _edit(user, message)


# --- school moderation: who acts for the school, and who may not post for now ---------------

# user id -> the restriction in force (or None), inside remembered_permissions() only.
_restrictions: ContextVar[dict[int, Restriction | None] | None] = ContextVar(
    "remembered_restrictions", default=None)


def is_lead_of(user: Any, school: School | int | None) -> bool:
    """Whether ``user`` is an active safeguarding lead of ``school``: who may remove and hold
    messages and restrict members there (:mod:`messaging.actions.moderation`)."""
    school_id = school.pk if isinstance(school, School) else school
    return (isinstance(user, User) and user.is_active and school_id is not None
            and user.role == Role.SAFEGUARDING and user.school_id == school_id)


def _restrictions_in_force(user_ids: Iterable[int]) -> dict[int, Restriction]:
    # Uses index: messaging_restriction_user. The one ending last wins.
    rows = (Restriction.objects.filter(user_id__in=list(user_ids), lifted_at__isnull=True,
                                       until__gt=timezone.now())
            .select_related("school").order_by("until"))
    return {r.user_id: r for r in rows}


def posting_restriction(user: User) -> Restriction | None:
    """The school's restriction on ``user`` posting that is in force now, if any."""
    memo = _restrictions.get()
    if memo is not None and user.pk in memo:
        return memo[user.pk]
    found = _restrictions_in_force([user.pk]).get(user.pk)
    if memo is not None:
        memo[user.pk] = found
    return found


def remember_restrictions(users: Iterable[User]) -> None:
    """Read the restrictions of many people in one query, for the rest of the
    :func:`remembered_permissions` block (a batch of sends asks about each sender)."""
    memo = _restrictions.get()
    if memo is None:
        return
    ids = [u.pk for u in users if u.pk not in memo]
    if ids:
        found = _restrictions_in_force(ids)
        memo.update({pk: found.get(pk) for pk in ids})


def restriction_text(restriction: Restriction) -> str:
    """What a restricted person is told, with the end in the school's time zone."""
    name = getattr(restriction.school, "time_zone", None) or settings.TIME_ZONE
    try:
        zone = ZoneInfo(name)
    except (KeyError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    until = formats.date_format(timezone.localtime(restriction.until, zone), "DATETIME_FORMAT")
    return _("You can read but not send messages until %(date)s, by decision of the school."
             ) % {"date": until}


def post_refusal(user: User, conversation: Conversation | None = None) -> str:
    """Why ``user`` may not post where ``conversation.post`` said no."""
    restriction = posting_restriction(user)
    if restriction is not None:
        return restriction_text(restriction)
    if conversation is not None:
        refusal = direct_post_refusal(user, conversation)
        if refusal is not None:
            return refusal
    return _("You cannot post in this conversation.")


@rule("message.receipts")
def _receipts(user: User, message: Any) -> bool:
    """Who has seen a message: its sender and staff members of the conversation."""
    return (isinstance(message, Message) and _has(user, READ, message.conversation)
            and (message.sender_id == user.pk or user.is_school_staff))


@rule("message.acknowledgements")
def _acknowledgements(user: User, message: Any) -> bool:
    """Who has (not) acknowledged a message that asked for it: staff members of the
    conversation."""
    return (isinstance(message, Message) and message.ack_requested
            and user.is_school_staff and _has(user, READ, message.conversation))


@rule("message.acknowledge")
def _acknowledge(user: User, message: Any) -> bool:
    """Members other than the sender, while the message is published (not held or removed)."""
    return (isinstance(message, Message) and message.ack_requested
            and message.sender_id != user.pk and message.removed_at is None
            and message.held_at is None and _has(user, READ, message.conversation))


def reacts_in(user: User, conversation: Conversation) -> bool:
    """Whether ``user`` may react to messages of ``conversation`` at all: a member who reads
    it (not a safeguarding lead reading without membership: a reaction is said to the members,
    and the lead only looks), unless the school restricted them from posting (a reaction is
    said to everyone there too) or, in a one-to-one, the other member blocked them. In an
    announcement channel its readers react without posting."""
    return (_has(user, READ, conversation) and posting_restriction(user) is None
            and direct_post_refusal(user, conversation) is None)


@rule("message.react")
def _react(user: User, message: Any) -> bool:
    """Members (:func:`reacts_in`), the sender too, on a published message: not retracted,
    removed by the school or held for its review."""
    return (isinstance(message, Message) and not message.is_gone and message.held_at is None
            and reacts_in(user, message.conversation))


def react_refusal(user: User, message: Message) -> str:
    """Why ``user`` may not react to ``message`` where ``message.react`` said no."""
    if message.removed_at is not None:
        return _("This message was removed by the school.")
    if message.retracted_at is not None:
        return _("This message was retracted.")
    if message.held_at is not None:
        return _("This message is waiting for review by the school.")
    restriction = posting_restriction(user)
    if restriction is not None:
        return restriction_text(restriction)
    return direct_post_refusal(user, message.conversation) or _(
        "You cannot react to this message.")


@rule("message.reactions")
def _reactions(user: User, message: Any) -> bool:
    """Who reacted, and with what: everyone who reads the conversation, as they read the
    message itself (a lead of a conversation visible to leads too)."""
    return isinstance(message, Message) and can(user, "conversation.read", message.conversation)


@rule("message.pin")
def _pin(user: User, message: Any) -> bool:
    """Staff who may post in the conversation pin and unpin its messages."""
    return (isinstance(message, Message) and user.is_school_staff
            and _has(user, POST, message.conversation))


@rule("message.post_urgent")
def _post_urgent(user: User, conversation: Any) -> bool:
    return user.is_school_staff and _has(user, POST, conversation)


# Where a message may name members with "@" (messaging.mentions): group conversations.
MENTION_KINDS = frozenset({Conversation.Kind.CLASS, Conversation.Kind.GROUP})

# Where a message may ask its readers to acknowledge it: the conversations that reach families
# (a class group, an announcement channel); not a club, the staff room or a one-to-one.
ACKNOWLEDGED_KINDS = frozenset({Conversation.Kind.CLASS, Conversation.Kind.ANNOUNCEMENT})


@rule("message.request_ack")
def _request_ack(user: User, conversation: Any) -> bool:
    """Staff (:meth:`Role.school_staff`) who post in a class group or an announcement channel
    may ask its readers to acknowledge; parents and pupils never, wherever they post."""
    return (isinstance(conversation, Conversation)
            and conversation.kind in ACKNOWLEDGED_KINDS
            and user.is_school_staff and _has(user, POST, conversation))


@rule("message.remind")
def _remind(user: User, message: Any) -> bool:
    """Reminding the families who have not acknowledged: staff who see the acknowledgement
    list and may post in the conversation (the reminder speaks for it)."""
    return (_acknowledgements(user, message)
            and _has(user, POST, message.conversation))


@rule("message.schedule")
def _schedule(user: User, conversation: Any) -> bool:
    """Staff who may post in a conversation may schedule a message for later there."""
    return user.is_school_staff and _has(user, POST, conversation)


@rule("office_hours.set")
def _set_office_hours(user: User, _obj: Any) -> bool:
    """Staff keep weekly office hours (their own: there is no object to ask about)."""
    return user.is_school_staff


# --- the school's communication policy (docs/policy.md) ------------------------------------

STAFF_PUPIL_SECOND_STAFF = "second_staff"
STAFF_PUPIL_VISIBLE_TO_LEADS = "visible_to_leads"


def _side(user: User) -> str:
    return "staff" if user.is_school_staff else user.role


def pupils_text() -> str:
    return _("Pupils cannot message other pupils one to one.")


def blocked_text() -> str:
    return _("This person does not accept your messages.")


def blocks(blocker: User | int, blocked: User | int) -> bool:
    """Whether ``blocker`` blocked ``blocked``'s one-to-one messages."""
    # Uses index: messaging_block_once.
    return Block.objects.filter(blocker=blocker, blocked=blocked).exists()


def direct_refusal(user: User, other: User) -> str | None:
    """Why ``user`` may not message ``other`` one to one, or None. The fixed rule (pupils
    never with pupils), the school's choices, then the other's block; the same text over
    HTTP and the websocket."""
    pair = {_side(user), _side(other)}
    if pair == {Role.PUPIL}:
        return pupils_text()
    school = user.school
    allowed = (pair in ({"staff"}, {"staff", Role.PARENT})
               or (pair == {Role.PARENT} and bool(getattr(school, "parent_direct_messages", False)))
               or (pair == {"staff", Role.PUPIL}
                   and bool(getattr(school, "staff_pupil_direct_messages", False))))
    if not allowed:
        return _("The school's policy does not allow this one-to-one conversation.")
    if blocks(other, user):
        return blocked_text()
    return None


def direct_post_refusal(user: User, conversation: Any) -> str | None:
    """In a one-to-one: a pupil never writes to a pupil, and nobody to a member who blocked
    them. Who may start which one-to-one is the school's choice (``conversation.start_direct``);
    a conversation already open stays open when the school changes its mind."""
    if not isinstance(conversation, Conversation) or conversation.kind != Conversation.Kind.DIRECT:
        return None
    others = (Membership.objects.filter(conversation=conversation, ended_at__isnull=True)
              .exclude(user=user.pk).values_list("user_id", "user__role"))
    for other_id, role in others:
        if user.role == Role.PUPIL and role == Role.PUPIL:
            return pupils_text()
        if blocks(other_id, user):
            return blocked_text()
    return None


def staff_pupil_policy(user: User, other: User) -> str | None:
    """The school's choice for a one-to-one between these two, when it is one between staff
    and a pupil (:data:`STAFF_PUPIL_SECOND_STAFF` or :data:`STAFF_PUPIL_VISIBLE_TO_LEADS`)."""
    if {_side(user), _side(other)} != {"staff", Role.PUPIL}:
        return None
    school = user.school if user.school_id else other.school
    choice = getattr(school, "staff_pupil_direct", STAFF_PUPIL_VISIBLE_TO_LEADS)
    return (STAFF_PUPIL_SECOND_STAFF if choice == STAFF_PUPIL_SECOND_STAFF
            else STAFF_PUPIL_VISIBLE_TO_LEADS)


def second_staff_candidates(user: User, other: User) -> list[User]:
    """Who may be the second member of staff in a one-to-one between ``user`` and ``other``
    (one of them a pupil): the pupil's current class teachers, else the school's other staff
    who teach or work there (never the DPO or a lead: they oversee), by name."""
    pupil, staff = (user, other) if user.role == Role.PUPIL else (other, user)
    base = (User.objects.filter(school_id=pupil.school_id or 0, is_active=True,
                                role__in=list(Role.class_staff()))
            .exclude(pk=staff.pk).order_by("display_name", "username"))
    classes = Enrolment.objects.current().filter(pupil__user=pupil).values("school_class_id")
    teachers = list(base.filter(taught_classes__in=classes).distinct())
    return teachers or list(base[:100])


def has_pupil_members(conversation: Conversation) -> bool:
    """Whether a pupil is a current member of ``conversation``."""
    return Membership.objects.filter(conversation=conversation, ended_at__isnull=True,
                                     user__role=Role.PUPIL).exists()


def links_as_text(sender: User, conversation: Conversation) -> bool:
    """Whether the web addresses in what ``sender`` posts in ``conversation`` are shown as
    plain text, never as links or previews: someone who is not staff, writing where pupils
    read (docs/policy.md). Decided when the message is posted."""
    return not sender.is_school_staff and has_pupil_members(conversation)


@rule("conversation.start_direct")
def _start_direct(user: User, other: Any) -> bool:
    """Who may open a one-to-one conversation with whom: :func:`direct_refusal` says no
    reason against it. Staff and parents always; staff with staff; parent with parent and
    staff with pupil only where the school allows it; never a pupil with a parent or another
    pupil; never someone who blocked the asker."""
    if (not isinstance(other, User) or not other.is_active or other.pk == user.pk
            or other.school_id is None or other.school_id != user.school_id):
        return False
    return direct_refusal(user, other) is None


@rule("person.block")
def _block(user: User, other: Any) -> bool:
    """Anyone may block (and unblock) the one-to-one messages of another person of their
    school, except staff's: the school's own people stay reachable (docs/policy.md)."""
    return (isinstance(other, User) and other.pk != user.pk and other.school_id is not None
            and other.school_id == user.school_id and not other.is_school_staff)


@rule("message.mark_sensitive")
def _mark_sensitive(user: User, obj: Any) -> bool:
    """Staff mark a message sensitive: when sending, where they may post (the object is the
    conversation); later, their own messages where they may post, and any message of a
    conversation they manage. Never a removed, retracted or held message."""
    if not user.is_school_staff:
        return False
    if isinstance(obj, Conversation):
        return _post(user, obj)
    if not isinstance(obj, Message) or obj.is_gone or obj.held_at is not None:
        return False
    conversation = obj.conversation
    return ((obj.sender_id == user.pk and _post(user, conversation))
            or _has(user, MANAGE, conversation))


@rule("message.mention")
def _mention(user: User, conversation: Any) -> bool:
    """Naming members with "@" (messaging.mentions): whoever may post in a class group or a
    group (a club, the staff room); not in a one-to-one (the other is told anyway) nor in an
    announcement channel. Who is named is checked per message: current members only."""
    return (isinstance(conversation, Conversation) and conversation.kind in MENTION_KINDS
            and _post(user, conversation))


def sees_staff_tools(user: User | AnonymousUser) -> bool:
    """Whether the conversation page offers staff's tools (others' receipts, acknowledgement
    lists, pin, urgent, send later, ask to acknowledge); each is still decided per message by
    its own rule above, and by the action that carries it out."""
    return user.is_authenticated and user.is_active and user.is_school_staff


# --- the pupils a photo may tag -----------------------------------------------------------


def concerned_pupils(conversation: Conversation) -> QuerySet[Pupil]:
    """The pupils a conversation may concern, so the only ones its photos may tag.

    A conversation linked to a class (the class group) concerns the class's current pupils.
    Any other conversation (a group, announcements, a one-to-one) concerns the currently
    enrolled children of its current members who hold parental responsibility, and pupils who
    are members themselves: a one-to-one between a teacher and a parent is about that parent's
    children, never about a pupil of another family.
    """
    enrolled = Enrolment.objects.current()
    if conversation.school_class_id is not None:
        ids = enrolled.filter(school_class_id=conversation.school_class_id).values("pupil_id")
        return Pupil.objects.filter(pk__in=ids, school_id=conversation.school_id)
    members = Q(guardian__memberships__conversation=conversation,
                guardian__memberships__ended_at__isnull=True)
    children = Guardianship.objects.filter(members, parental_responsibility=True)
    return Pupil.objects.filter(
        Q(pk__in=children.values("pupil_id"))
        | Q(user__memberships__conversation=conversation, user__memberships__ended_at__isnull=True),
        pk__in=enrolled.values("pupil_id"), school_id=conversation.school_id,
    ).distinct()


def taggable_pupils(user: User | AnonymousUser, conversation: Conversation) -> QuerySet[Pupil]:
    """The pupils ``user`` may tag in a photo posted in ``conversation``.

    Both are needed: the conversation may concern the pupil (:func:`concerned_pupils`), and
    the sender may know the pupil's consent (``consent.view_pupil``: staff of one of the
    pupil's classes, an admin of the school, a guardian with parental responsibility). So a
    refusal for missing consent can always name the pupil, and a parent tags only their own
    children: whether another family's child may be photographed is never told to them.
    A pupil outside this set gets one answer, whether it exists, is in another class or in
    another school (:func:`messaging.attachments.untaggable`).
    """
    if not isinstance(user, User) or not can(user, "conversation.post", conversation):
        return Pupil.objects.none()
    return concerned_pupils(conversation).filter(
        pk__in=consent_visible_pupils(user).values("pk")).order_by("first_name", "last_name",
                                                                    "pk")
