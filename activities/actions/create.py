"""Announcing an activity: staff create it in class groups or a group, with a permission slip
for a trip that needs one, and it is posted there as a message carrying its live card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from activities import texts
from activities.models import Activity
from archive import chain, scopes
from consent.actions import one_off_purpose
from messaging import cards
from messaging.actions.send import post_message
from messaging.models import Conversation


@dataclass(frozen=True)
class Draft:
    """What staff typed, parsed by the form."""

    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    reply_by: datetime
    place: str = ""
    bring: str = ""
    cost: str = ""
    # A trip's permission slip: its text (empty: no slip) and who must sign.
    slip_text: str = ""
    slip_rule: str = Activity.SlipRule.ANY


def problems(draft: Draft, conversations: Sequence[Conversation],
             now: datetime | None = None) -> list[str]:
    """Why the draft cannot be announced, as sentences; empty when it can."""
    moment = now or timezone.now()
    found = []
    if not draft.title.strip():
        found.append(_("Give the activity a title."))
    if not conversations:
        found.append(_("Choose where to announce the activity: one or more classes, or a group."))
    elif (len(conversations) > 1
          and any(c.kind != Conversation.Kind.CLASS for c in conversations)):
        found.append(_("An activity is for one or more classes, or for one group."))
    if draft.starts_at <= moment:
        found.append(_("The activity cannot start in the past."))
    if draft.ends_at <= draft.starts_at:
        found.append(_("The end must be after the start."))
    if draft.reply_by > draft.starts_at:
        found.append(_("The reply deadline must be before the start."))
    elif draft.reply_by <= moment:
        found.append(_("The reply deadline cannot be in the past."))
    if draft.slip_text.strip() and draft.kind != Activity.Kind.TRIP:
        found.append(_("Only a trip asks for a permission slip."))
    if draft.slip_rule not in Activity.SlipRule.values or draft.kind not in Activity.Kind.values:
        found.append(_("Choose one of the options offered."))
    return found


def create_activity(actor: User, conversations: Sequence[Conversation], draft: Draft) -> Activity:
    """Create the activity, its slip (a one-off consent purpose) when it asks one, one
    ``activity.created`` record, and one announcing message per conversation."""
    if not conversations or not all(can(actor, "activity.create", c) for c in conversations):
        raise PermissionDenied(_("You cannot announce an activity there."))
    found = problems(draft, conversations)
    if found:
        raise ValidationError(found)
    school = conversations[0].school
    with transaction.atomic():
        activity = Activity.objects.create(
            school=school, kind=draft.kind, title=draft.title.strip(), starts_at=draft.starts_at,
            ends_at=draft.ends_at, reply_by=draft.reply_by, place=draft.place.strip(),
            bring=draft.bring.strip(), cost=draft.cost.strip(), created_by=actor,
            slip_rule=draft.slip_rule, created_at=timezone.now())
        activity.conversations.set(conversations)
        if draft.slip_text.strip():
            activity.slip = one_off_purpose(school, code=f"activity-{activity.pk}",
                                            name=activity.title, text=draft.slip_text,
                                            actor=actor)
            activity.save(update_fields=["slip"])
        chain.record(
            "activity.created", scope=scopes.activities(school.pk), actor=actor, subjects=[actor],
            payload={"activity": activity.pk, "kind": activity.kind, "title": activity.title,
                     "starts_at": activity.starts_at.isoformat(),
                     "ends_at": activity.ends_at.isoformat(),
                     "reply_by": activity.reply_by.isoformat(), "place": activity.place,
                     "bring": activity.bring, "cost": activity.cost,
                     "conversations": [c.pk for c in conversations],
                     "slip": activity.slip_id, "slip_rule": activity.slip_rule})
        for conversation in conversations:
            # The audience was confirmed on the form, which names it.
            post_message(actor, conversation, texts.announcement(activity),
                         card=cards.ref("activity", activity.pk), confirm=True)
    return activity
