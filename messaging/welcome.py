"""A parent's first page: their children and classes, the consent decisions still open,
notifications, and where each class talks.

Shown once on its own, as the landing of the sign-in that set the parent's password
(``accounts.views``); afterwards it is one link away in the page's menu ("Getting started").
It reads only what concerns the person asking, so it needs no rule of its own: someone with no
children sees the page without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.actions.invitations import contact_about
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Enrolment, Guardianship, Pupil, User
from consent.services import pending_for_guardian
from messaging.models import Conversation, Membership


@dataclass(frozen=True)
class ChildClass:
    name: str
    # The class group this person reads, when they are a member of it.
    conversation_id: int | None


@dataclass(frozen=True)
class Child:
    name: str
    classes: list[ChildClass] = field(default_factory=list)


def children(user: User) -> list[Child]:
    """The pupils this person is a contact for (no no-contact flag, not left), each with their
    current classes and the class group this person is a member of."""
    links = contact_about(Guardianship.objects.filter(guardian=user))
    pupils = list(Pupil.objects.filter(pk__in=links.values("pupil_id"))
                  .order_by("first_name", "last_name", "pk"))
    enrolments = (Enrolment.objects.current().filter(pupil__in=pupils)
                  .select_related("school_class").order_by("school_class__name"))
    class_ids = {e.school_class_id for e in enrolments}
    groups = dict(Membership.objects.filter(
        user=user, ended_at__isnull=True, conversation__kind=Conversation.Kind.CLASS,
        conversation__school_class_id__in=class_ids)
        .values_list("conversation__school_class_id", "conversation_id"))
    by_pupil: dict[int, list[ChildClass]] = {}
    for enrolment in enrolments:
        by_pupil.setdefault(enrolment.pupil_id, []).append(ChildClass(
            enrolment.school_class.name, groups.get(enrolment.school_class_id)))
    return [Child(str(pupil), by_pupil.get(pupil.pk, [])) for pupil in pupils]


@login_required
@require_GET
def welcome(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    kids = children(user)
    return render(request, "messaging/welcome.html", {
        "children": kids,
        "pending": len(pending_for_guardian(user)),
        "class_groups": sorted({(c.name, c.conversation_id) for child in kids
                                for c in child.classes if c.conversation_id is not None}),
    })
