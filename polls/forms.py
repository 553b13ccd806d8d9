"""The form a staff member asks a poll with (the options are ``option`` fields, one per line
shown; empty ones are left out)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from polls.models import OPTION_MAX_CHARS, QUESTION_MAX_CHARS, Poll

# Option fields on the form; the action accepts up to MAX_OPTIONS.
OPTION_FIELDS = 6


class PollForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=QUESTION_MAX_CHARS)
    closes_at = forms.DateTimeField(
        label=_("Closes"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                      format="%Y-%m-%dT%H:%M"))
    multiple = forms.BooleanField(label=_("Several answers allowed"), required=False)
    anonymous = forms.BooleanField(
        label=_("Anonymous: nobody, not even you, sees who chose what"), required=False)
    per_family = forms.BooleanField(label=_("One answer per family"), required=False,
                                    initial=True)
    results = forms.ChoiceField(label=_("Who sees the results"), choices=Poll.Results.choices,
                                initial=Poll.Results.AFTER_VOTE, widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            soon = timezone.localtime() + timedelta(days=3)
            self.initial["closes_at"] = soon.replace(hour=18, minute=0, second=0, microsecond=0)
        for n in range(1, OPTION_FIELDS + 1):
            self.fields[f"option_{n}"] = forms.CharField(
                label=_("Option %(n)d") % {"n": n}, max_length=OPTION_MAX_CHARS,
                required=n <= 2)

    def options(self) -> list[str]:
        return [self.cleaned_data.get(f"option_{n}") or "" for n in range(1, OPTION_FIELDS + 1)]

    def option_fields(self) -> list[forms.BoundField]:
        return [self[f"option_{n}"] for n in range(1, OPTION_FIELDS + 1)]
