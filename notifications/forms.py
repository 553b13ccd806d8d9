from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DURATIONS = {"8h": timedelta(hours=8), "week": timedelta(days=7), "forever": None}


class DurationForm(forms.Form):
    """How long a mute lasts: the conversation page's mute control posts this alone."""

    duration = forms.ChoiceField(label=_("For"), choices=[
        ("8h", _("8 hours")), ("week", _("a week")), ("forever", _("until I turn it back on")),
    ])

    def until(self) -> datetime | None:
        span = DURATIONS[self.cleaned_data["duration"]]
        return timezone.now() + span if span else None


class MuteForm(DurationForm):
    """The notifications page's form: which conversation, and for how long."""

    conversation = forms.TypedChoiceField(label=_("Conversation"), coerce=int)
    field_order = ["conversation", "duration"]

    def __init__(self, *args: Any, conversations: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["conversation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c.pk, c.name) for c in conversations]
