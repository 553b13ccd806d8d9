"""The card on the message that announces an activity (``messaging.cards``).

Each reader gets it as they may see it: a guardian sees each of their own children with the
coming / not coming / maybe buttons and, for a trip, the permission slip to sign or withdraw;
staff who follow the activity see the live headcount and a link to the list; any other reader
sees what, when and where. Nobody sees another family's reply here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.access import can
from accounts.models import Pupil, User
from activities import roll, texts
from activities.models import Activity, Rsvp
from consent.models import ConsentForm
from messaging import cards
from messaging.models import Message

KIND = "activity"


@dataclass
class Child:
    pupil: Pupil
    reply: Rsvp | None
    slip: roll.Slip | None
    # This reader's own latest decision is a signature.
    signed_by_me: bool


def children(reader: User, activity: Activity) -> list[Child]:
    """The reader's own children on the activity, with their replies and slips."""
    mine = roll.children_for(reader, activity)
    ids = [p.pk for p in mine]
    answers = roll.replies(activity, ids)
    slip_of = roll.slips(activity, ids)
    return [Child(p, answers.get(p.pk), slip_of.get(p.pk),
                  reader.pk in (slip_of[p.pk].signed_by if p.pk in slip_of else []))
            for p in mine]


def context(activity: Activity, reader: User, *, back: str) -> dict[str, object]:
    """What the card and the activity page show this reader."""
    manages = can(reader, "activity.manage", activity)
    form: ConsentForm | None = activity.slip.current_form() if activity.slip else None
    return {
        "activity": activity, "when": texts.when(activity),
        "reply_by": texts.moment(activity.reply_by), "back": back,
        "children": children(reader, activity) if can(reader, "activity.reply", activity) else [],
        "answers": Rsvp.Answer.choices, "slip_form": form,
        "overview": roll.overview(activity) if manages else None, "manages": manages,
    }


def render(message: Message, request: HttpRequest) -> str:
    reader = request.user
    if not isinstance(reader, User):
        return ""
    activity = Activity.objects.filter(pk=cards.card_id(message) or 0,
                                       school_id=message.conversation.school_id).first()
    if activity is None or not can(reader, "activity.view", activity):
        return ""
    back = reverse("messaging:conversation", args=[message.conversation_id]) + f"#m{message.pk}"
    return render_to_string("activities/_card.html", context(activity, reader, back=back),
                            request=request)


def register() -> None:
    cards.register_card(cards.CardKind(KIND, render))
