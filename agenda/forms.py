from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agenda.models import NAME_MAX_CHARS


class HolidayForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_CHARS)
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
