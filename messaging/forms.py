from datetime import time
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import School, SchoolClass, User
from messaging.models import Sensitivity


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        max_length=settings.SCHOOLCHAT_MESSAGE_MAX_CHARS,
        strip=True,
        required=False,  # a photo may go without words; post_message decides
    )
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    urgent = forms.BooleanField(label=_("Urgent (notify outside office hours)"), required=False)
    ack_requested = forms.BooleanField(label=_("Ask members to acknowledge"), required=False)
    send_at = forms.DateTimeField(label=_("Send later"), required=False)
    sensitive = forms.ChoiceField(label=_("Sensitive"), required=False,
                                  choices=[("", _("Not sensitive")), *Sensitivity.choices])


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your private reply"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=settings.SCHOOLCHAT_MESSAGE_MAX_CHARS, strip=True)


DAY_NAMES = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
             _("Saturday"), _("Sunday")]


class OfficeHoursForm(forms.Form):
    """From/until per weekday; a day left empty has no office hours."""

    def __init__(self, *args: Any, schedule: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, name in enumerate(DAY_NAMES):
            span = schedule.days.get(day)
            self.fields[f"starts_{day}"] = forms.TimeField(
                label=_("%(day)s from") % {"day": name}, required=False,
                initial=span[0] if span else None, widget=forms.TimeInput(attrs={"type": "time"}))
            self.fields[f"ends_{day}"] = forms.TimeField(
                label=_("%(day)s until") % {"day": name}, required=False,
                initial=span[1] if span else None, widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day, name in enumerate(DAY_NAMES):
            starts, ends = data.get(f"starts_{day}"), data.get(f"ends_{day}")
            if (starts is None) != (ends is None):
                raise forms.ValidationError(
                    _("%(day)s: give both times, or neither.") % {"day": name})
            if starts is not None and ends is not None and ends <= starts:
                raise forms.ValidationError(
                    _("%(day)s: the end must be after the start.") % {"day": name})
        return data

    def days(self) -> dict[int, tuple[time, time]]:
        return {day: (self.cleaned_data[f"starts_{day}"], self.cleaned_data[f"ends_{day}"])
                for day in range(7) if self.cleaned_data.get(f"starts_{day}") is not None}


class GroupForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    announcements = forms.BooleanField(
        label=_("Announcement channel (only staff post)"), required=False
    )


class MemberForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    manager = forms.BooleanField(label=_("May manage members"), required=False)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(school=school, left_at__isnull=True).order_by(
            "display_name", "username"
        )


class AddClassForm(forms.Form):
    """A whole class's families and teachers into a group or channel."""

    school_class = forms.ModelChoiceField(label=_("Class"), queryset=SchoolClass.objects.none(),
                                          empty_label=_("Choose a class"))

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["school_class"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = SchoolClass.objects.filter(school=school).order_by("name")
