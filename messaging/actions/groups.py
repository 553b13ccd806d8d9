"""The school's groups other than class groups (clubs, the staff room, announcement channels),
created and staffed by the school admin and the groups' managers.

Memberships go through :func:`messaging.actions.membership.add_member` and
:func:`~messaging.actions.membership.end_membership`, which archive ``member.added`` /
``member.removed`` in the conversation's own scope; the school's trail gets
``admin.group_created``, ``admin.member_added`` and ``admin.member_removed``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import School, SchoolClass, User
from archive import chain, scopes
from messaging.access import may_join_by_own_hand, may_manage_groups
from messaging.actions import membership
from messaging.actions.classes import class_guardian_ids, class_staff_ids, current_pupil_ids
from messaging.models import Conversation, Membership


def create_group(school: School, title: str, *, announcements: bool = False,
                 actor: User | None) -> Conversation:
    kind = Conversation.Kind.ANNOUNCEMENT if announcements else Conversation.Kind.GROUP
    with transaction.atomic():
        group = Conversation.objects.create(school=school, kind=kind, title=title)
        chain.record("admin.group_created", scope=scopes.school(school.pk), actor=actor,
                       subjects=[], payload={"conversation": group.pk, "kind": kind})
    return group


def add_group_member(group: Conversation, member: User, *, actor: User | None,
                     manager: bool = False) -> Membership:
    """Add a member (a manager only if they are staff or an admin); a current member stays as
    they are. Class groups' members come from the roster (:mod:`messaging.actions.classes`),
    never from here."""
    if group.kind == Conversation.Kind.CLASS:
        raise ValueError("a class group's members follow the roster")
    if actor is not None and actor.pk == member.pk and not may_join_by_own_hand(actor, group):
        raise PermissionDenied(_("You cannot add yourself; ask another manager of the group "
                                 "to add you."))
    as_manager = manager and may_manage_groups(member)
    with transaction.atomic():
        current = Membership.objects.filter(conversation=group, user=member,
                                            ended_at__isnull=True).first()
        if current is not None:
            return current  # already a member: nothing changes, nothing to record
        added = membership.add_member(group, member, actor=actor, manager=as_manager)
        chain.record("admin.member_added", scope=scopes.school(group.school_id), actor=actor,
                       subjects=[member], payload={"conversation": group.pk,
                                                   "manager": as_manager})
    return added


def add_class_to_group(group: Conversation, school_class: SchoolClass, *,
                       actor: User | None) -> tuple[list[User], int]:
    """Make the families of a class (its current pupils' guardians, as the class group reaches
    them) and its teachers members of ``group`` in one go: one ``member.class_added`` record
    for everyone added, each told as by :func:`add_group_member`. Idempotent: current members
    are skipped. Ended enrolments, pupils who have left and leavers' accounts are not counted.
    Returns the people added and how many were members already."""
    if group.kind in (Conversation.Kind.CLASS, Conversation.Kind.DIRECT):
        raise ValueError("only a group or a channel takes a whole class")
    if school_class.school_id != group.school_id:
        raise ValueError("a class of another school")
    with transaction.atomic():
        ids = set(class_staff_ids(school_class))
        ids.update(class_guardian_ids(current_pupil_ids(school_class)))
        people = list(User.objects.filter(pk__in=ids, left_at__isnull=True)
                      .order_by("display_name", "username", "pk"))
        added = membership.add_members(group, people, actor=actor, kind="member.class_added",
                                       payload={"class": school_class.pk})
    return added, len(people) - len(added)


def remove_group_member(group: Conversation, member: User, *, actor: User | None) -> bool:
    if group.kind == Conversation.Kind.CLASS:
        raise ValueError("a class group's members follow the roster")
    with transaction.atomic():
        ended = membership.end_membership(group, member, actor=actor)
        if not ended:
            return False
        chain.record("admin.member_removed", scope=scopes.school(group.school_id), actor=actor,
                       subjects=[member], payload={"conversation": group.pk})
    return ended
