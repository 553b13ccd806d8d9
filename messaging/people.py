"""Who a person may start a one-to-one with, as the people page lists them.

Staff find a parent by the child: each parent is listed with their children and the children's
classes, grouped by class (the viewer's own classes first), and one search box matches a
parent's name, a child's name or a class. Everyone else (a parent, a pupil) gets the plain list
of names and roles: no other family's children. Everyone listed passed the rule
``conversation.start_direct``, so no one of another school, and no parent unless the school
lets parents write to each other, is ever on a parent's page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from accounts.access import can
from accounts.actions.invitations import contact_about
from accounts.models import Enrolment, Guardianship, SchoolClass, User
from archive.folding import fold, terms

# The most people the page considers; a school larger than this searches.
LIMIT = 500


@dataclass(frozen=True)
class Entry:
    person: User
    # "Emma Jansen (1A)": the children that put this person in this group.
    children: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Group:
    title: str
    entries: list[Entry]
    # One of the viewer's own classes.
    own: bool = False


def _matches(words: list[str], *texts: str) -> bool:
    haystack = fold(" ".join(texts))
    return all(word in haystack for word in words)


def candidates(user: User) -> list[User]:
    """The active people of the user's school they may start a one-to-one with."""
    found = (User.objects.filter(school=user.school_id, is_active=True).exclude(pk=user.pk)
             .select_related("school").order_by("display_name", "username")[:LIMIT])
    return [other for other in found if can(user, "conversation.start_direct", other)]


def _children(people: list[User]) -> dict[int, list[tuple[str, int | None, str]]]:
    """Each person's children the school may contact them about: (child's name, current class
    id or None, class name). Two queries."""
    links = list(contact_about(Guardianship.objects.filter(guardian__in=people))
                 .select_related("pupil").order_by("pupil__first_name", "pupil__last_name"))
    classes: dict[int, list[tuple[int | None, str]]] = {}
    for pupil_id, class_id, name in (Enrolment.objects.current()
                                     .filter(pupil__in=[link.pupil_id for link in links])
                                     .values_list("pupil_id", "school_class_id",
                                                  "school_class__name")):
        classes.setdefault(pupil_id, []).append((class_id, name))
    found: dict[int, list[tuple[str, int | None, str]]] = {}
    for link in links:
        for placed, name in classes.get(link.pupil_id) or [(None, "")]:
            found.setdefault(link.guardian_id, []).append((str(link.pupil), placed, name))
    return found


def staff_groups(user: User, people: list[User], query: str) -> list[Group]:
    """Parents by their children's classes (the viewer's own first, then by name), parents
    with no child in a class, then everyone else; each filtered by the search's words."""
    words = terms(query)
    children = _children(people)
    own = set(SchoolClass.objects.filter(staff=user).values_list("pk", flat=True))
    by_class: dict[tuple[int, str], list[Entry]] = {}
    unplaced: list[Entry] = []
    others: list[Entry] = []
    for person in people:
        kids = children.get(person.pk)
        if not kids:
            if _matches(words, person.public_name, str(person.get_role_display())):
                others.append(Entry(person))
            continue
        for class_id, class_name in dict.fromkeys((c, n) for _kid, c, n in kids):
            names = [kid for kid, c, _n in kids if c == class_id]
            if not _matches(words, person.public_name, class_name, *names):
                continue
            label = [_("%(child)s (%(class)s)") % {"child": n, "class": class_name}
                     if class_id is not None else n for n in names]
            if class_id is None:
                unplaced.append(Entry(person, label))
            else:
                by_class.setdefault((class_id, class_name), []).append(Entry(person, label))
    ordered = sorted(by_class, key=lambda key: (key[0] not in own, key[1]))
    groups = [Group(_("Parents in %(class)s") % {"class": name}, by_class[(pk, name)],
                    own=pk in own) for pk, name in ordered]
    if unplaced:
        groups.append(Group(_("Parents of children not in a class"), unplaced))
    if others:
        groups.append(Group(_("Staff and others"), others))
    return groups


def plain_list(people: list[User], query: str) -> list[Entry]:
    words = terms(query)
    return [Entry(person) for person in people
            if _matches(words, person.public_name, str(person.get_role_display()))]
