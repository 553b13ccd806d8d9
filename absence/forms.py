"""The absence forms: they parse; the rules and the sentences for bad input are the actions'."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from absence.models import Reason
from accounts.models import Pupil, SchoolClass, User

# A browser's date and time inputs take ISO values, whatever the page's language.
ISO_DAY = "%Y-%m-%d"
ISO_TIME = "%H:%M"


class ChildrenField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.first_name)


class ReportForm(forms.Form):
    children = ChildrenField(
        label=_("Who is absent?"), queryset=Pupil.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one child."),
                        "invalid_choice": _("You can only report your own children absent.")})
    starts_on = forms.DateField(label=_("From"),
                                widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DAY))
    ends_on = forms.DateField(label=_("Until"),
                              widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DAY))
    from_time = forms.TimeField(label=_("From (time)"), required=False,
                                widget=forms.TimeInput(attrs={"type": "time"}, format=ISO_TIME))
    until_time = forms.TimeField(label=_("Until (time)"), required=False,
                                 widget=forms.TimeInput(attrs={"type": "time"}, format=ISO_TIME))
    category = forms.ChoiceField(label=_("Reason"), choices=Reason.choices,
                                 widget=forms.RadioSelect,
                                 error_messages={"required": _("Choose a reason.")})
    note = forms.CharField(label=_("Note for the school (optional)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, children: QuerySet[Pupil], today: date,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["children"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = children
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = today


class RangeForm(forms.Form):
    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DAY))
    last = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DAY))


class SettingsForm(forms.Form):
    cutoff = forms.TimeField(label=_("Reports after this time are late"),
                             widget=forms.TimeInput(attrs={"type": "time"}, format=ISO_TIME),
                             help_text=_("On the first day of the absence, in the school's "
                                         "time zone."))

    def __init__(self, *args: Any, classes: list[SchoolClass],
                 current: dict[int, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.classes = classes
        for school_class in classes:
            staff: QuerySet[User] = school_class.staff.order_by("display_name", "username")
            self.fields[f"class_{school_class.pk}"] = forms.ModelChoiceField(
                label=_("Class teacher of %(class)s") % {"class": school_class.name},
                queryset=staff, required=False, initial=current.get(school_class.pk),
                empty_label=_("Everyone who teaches the class"))

    def class_teachers(self) -> dict[SchoolClass, User | None]:
        return {c: self.cleaned_data.get(f"class_{c.pk}") for c in self.classes}
