"""Forms of the meetings pages. Choices are limited to what the person may act on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Pupil, SchoolClass
from meetings.actions.rounds import RoundPlan
from meetings.models import MeetingRound, MeetingSlot

DATE = forms.DateInput(attrs={"type": "date"})
TIME = forms.TimeInput(attrs={"type": "time"})
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    classes = forms.ModelMultipleChoiceField(label=_("Classes"), queryset=SchoolClass.objects.none(),
                                             widget=forms.CheckboxSelectMultiple)
    first_day = forms.DateField(label=_("First day"), widget=DATE)
    last_day = forms.DateField(label=_("Last day"), widget=DATE)
    day_starts = forms.TimeField(label=_("Meetings from"), widget=TIME)
    day_ends = forms.TimeField(label=_("Meetings until"), widget=TIME)
    slot_minutes = forms.IntegerField(label=_("Minutes per meeting"), initial=10, min_value=1,
                                      max_value=240)
    break_starts = forms.TimeField(label=_("Break from"), widget=TIME, required=False)
    break_ends = forms.TimeField(label=_("Break until"), widget=TIME, required=False)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    video_link = forms.URLField(label=_("Video link"), required=False,
                                assume_scheme="https")
    opens_at = forms.DateTimeField(label=_("Booking opens"), widget=MOMENT)
    closes_at = forms.DateTimeField(label=_("Booking closes"), widget=MOMENT)
    change_deadline = forms.DateTimeField(
        label=_("Changes and cancellations until"), widget=MOMENT, required=False,
        help_text=_("Empty: 24 hours before the first meeting."))
    per = forms.ChoiceField(label=_("Bookings"), choices=MeetingRound.Per.choices)
    siblings_early = forms.BooleanField(
        label=_("Families with several children may book a day early"), required=False)

    def __init__(self, *args: Any, classes: QuerySet[SchoolClass], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["classes"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = classes

    def plan(self) -> RoundPlan:
        data = self.cleaned_data
        return RoundPlan(
            title=data["title"], classes=list(data["classes"]), first_day=data["first_day"],
            last_day=data["last_day"], day_starts=data["day_starts"], day_ends=data["day_ends"],
            slot_minutes=data["slot_minutes"], opens_at=data["opens_at"],
            closes_at=data["closes_at"], change_deadline=data["change_deadline"],
            break_starts=data["break_starts"], break_ends=data["break_ends"],
            place=data["place"], video_link=data["video_link"], per=data["per"],
            siblings_early=data["siblings_early"])


class BookForm(forms.Form):
    """One meeting: a slot of the round and the child it is about."""

    slot = forms.IntegerField(min_value=1)
    pupil = forms.IntegerField(min_value=1)


def chosen(round_: MeetingRound, slot_id: int, pupil_id: int
           ) -> tuple[MeetingSlot | None, Pupil | None]:
    """The slot (of any round: the action says when it is not this round's) and the pupil."""
    slot = MeetingSlot.objects.filter(pk=slot_id).select_related("teacher", "round").first()
    pupil = Pupil.objects.filter(pk=pupil_id, school_id=round_.school_id).first()
    return slot, pupil


class MoveForm(forms.Form):
    to = forms.IntegerField(min_value=1)
