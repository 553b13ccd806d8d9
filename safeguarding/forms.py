from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeguarding.actions import NOTE_MAX_CHARS, PATTERN_MAX_CHARS
from safeguarding.models import Flag, Pattern, Report


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("What is wrong?"), choices=Report.Reason.choices)
    note = forms.CharField(
        label=_("Anything the school should know (optional)"), required=False, strip=True,
        max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), strip=True, max_length=NOTE_MAX_CHARS,
                             widget=forms.Textarea(attrs={"rows": 2}))


class LookForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see this conversation?"), strip=True,
        max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("You are not a member of this conversation: your look and your reason "
                    "are on record for the data-protection officer."))


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, strip=True,
                             max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 2}))


class NotifyForm(forms.Form):
    reason = forms.CharField(label=_("Note for the data-protection officer"), strip=True,
                             max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 2}))


class CaseNoteForm(forms.Form):
    text = forms.CharField(label=_("New case note"), strip=True, max_length=NOTE_MAX_CHARS,
                           widget=forms.Textarea(attrs={"rows": 3}))


class RestrictForm(forms.Form):
    DAY, WEEK, DATE = "day", "week", "date"
    duration = forms.ChoiceField(label=_("For how long?"), choices=[
        (DAY, _("One day")), (WEEK, _("One week")), (DATE, _("Until the date below"))])
    until = forms.DateField(label=_("Until (for a date of your choice)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), strip=True, max_length=NOTE_MAX_CHARS,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, time_zone: str = settings.TIME_ZONE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(time_zone)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        now = timezone.now()
        duration = data.get("duration")
        if duration == self.DAY:
            data["ends"] = now + timedelta(days=1)
        elif duration == self.WEEK:
            data["ends"] = now + timedelta(weeks=1)
        elif duration == self.DATE:
            day = data.get("until")
            if day is None:
                raise forms.ValidationError(_("Choose the date the restriction ends."))
            # The start of that day in the school's time zone: "until Friday" ends on Friday.
            ends = datetime.combine(day, time.min, tzinfo=self.zone)
            if ends <= now:
                raise forms.ValidationError(_("Choose a date in the future."))
            data["ends"] = ends
        return data


# A host name as people write it: letters, digits, hyphens and dots.
HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


class SettingsForm(forms.Form):
    hold_pupil_messages = forms.BooleanField(
        label=_("Hold pupils' messages that match a pattern until a lead has looked at them"),
        required=False)
    allowed_url_hosts = forms.CharField(
        label=_("Web addresses whose links are never personal data"), required=False,
        max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One host a line, such as school.example: its subdomains count too."))

    def clean_allowed_url_hosts(self) -> list[str]:
        hosts = [h.strip().lower().rstrip(".") for h in self.cleaned_data["allowed_url_hosts"].split()]
        wrong = [h for h in hosts if h and not HOST.match(h)]
        if wrong:
            raise forms.ValidationError(_("Not a host name: %(host)s") % {"host": wrong[0]})
        return [h for h in hosts if h]


class PatternForm(forms.Form):
    """Words or a regular expression the lead adds to the school's list. The action checks
    that it compiles, is not too broad and is not there already (:func:`actions.add_pattern`)."""

    language = forms.ChoiceField(label=_("Language"), choices=Pattern.Language.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Flag.Category.choices)
    kind = forms.ChoiceField(label=_("Words or a regular expression?"),
                             choices=Pattern.Kind.choices, initial=Pattern.Kind.WORDS)
    text = forms.CharField(
        label=_("Words or pattern"), strip=True, max_length=PATTERN_MAX_CHARS,
        help_text=_("Words match as whole words in any case, such as “kill myself”. A regular "
                    "expression is matched in any case as well."))


class TryForm(forms.Form):
    sample = forms.CharField(label=_("A sentence to try"), strip=True,
                             max_length=NOTE_MAX_CHARS,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Nothing you type here is stored or sent."))
