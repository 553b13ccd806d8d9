"""Activities in the demo school (``manage.py seed_demo``), in 4B:

- a trip to the zoo with a permission slip any parent may sign: Anna (parent) has signed for
  Emma, Дмитрий's and Kofi's families have not yet;
- a class breakfast (an event): Emma is coming, Дмитрий maybe.

Idempotent: an activity is found by its title in the school, and a reply or signature that is
already there is not given again (the actions add nothing for the same answer).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Pupil, User
from activities.actions import create, replies, slips
from activities.models import Activity, Rsvp

ZOO = "Trip to the zoo"
BREAKFAST = "Class breakfast"
SLIP = ("I give permission for my child to come on the class trip to the zoo by coach, "
        "supervised by the school's staff.")


def _at(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _activity(teacher: User, conversation: Any, draft: create.Draft) -> Activity:
    found = Activity.objects.filter(school=teacher.school, title=draft.title).first()
    return found or create.create_activity(teacher, [conversation], draft)


def _pupil(first_name: str, school_id: int) -> Pupil | None:
    return Pupil.objects.filter(first_name=first_name, school_id=school_id).first()


def seed(context: dict[str, Any]) -> None:
    users, conversations = context["users"], context.get("conversations", {})
    class_4b, teacher = conversations.get("4B class group"), users.get("teacher")
    if class_4b is None or teacher is None:
        return
    school_id = context["school"].pk
    zoo = _activity(teacher, class_4b, create.Draft(
        title=ZOO, kind=Activity.Kind.TRIP, starts_at=_at(9, 9), ends_at=_at(9, 15),
        reply_by=_at(6, 17), place="Artis, Amsterdam", bring="Packed lunch, water, rain coat",
        cost="€ 7.50", slip_text=SLIP, slip_rule=Activity.SlipRule.ANY))
    breakfast = _activity(teacher, class_4b, create.Draft(
        title=BREAKFAST, kind=Activity.Kind.EVENT, starts_at=_at(4, 8), ends_at=_at(4, 9),
        reply_by=_at(3, 12), place="Classroom 4B", bring="A plate and a cup"))
    emma, dmitry = _pupil("Emma", school_id), _pupil("Дмитрий", school_id)
    if emma is not None and "parent" in users:
        slips.sign(users["parent"], zoo, emma)
        replies.reply(users["parent"], zoo, emma, Rsvp.Answer.COMING)
        replies.reply(users["parent"], breakfast, emma, Rsvp.Answer.COMING)
    if dmitry is not None and "parent3" in users:
        replies.reply(users["parent3"], breakfast, dmitry, Rsvp.Answer.MAYBE,
                      "He may have a football match that morning.")
