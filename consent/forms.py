"""Forms of the consent pages. Choices are limited to what the user may act on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Guardianship, SchoolClass
from consent.models import ConsentForm, ConsentPurpose, ConsentRecord
from consent.services import class_pupils


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=ConsentRecord.Decision.choices)
    form = forms.ModelChoiceField(queryset=ConsentForm.objects.all(), widget=forms.HiddenInput)


class PurposeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return gettext(obj.name)


class RequestForm(forms.Form):
    purpose = PurposeChoiceField(label=_("Purpose"), queryset=ConsentPurpose.objects.none())

    def __init__(self, *args: Any, school_class: SchoolClass, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["purpose"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ConsentPurpose.objects.standing().filter(school_id=school_class.school_id)


class GuardianshipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.pupil} — {obj.guardian.public_name}"


class PaperForm(forms.Form):
    guardianship = GuardianshipChoiceField(
        label=_("Pupil and parent who signed"), queryset=Guardianship.objects.none()
    )
    purpose = PurposeChoiceField(label=_("Purpose"), queryset=ConsentPurpose.objects.none())
    decision = forms.ChoiceField(label=_("Decision on the form"),
                                 choices=ConsentRecord.Decision.choices)
    signed_on = forms.DateField(label=_("Signed on"),
                                widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, school_class: SchoolClass, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pupils = [p.pk for p in class_pupils(school_class)]
        guardianship = self.fields["guardianship"]
        purpose = self.fields["purpose"]
        assert isinstance(guardianship, forms.ModelChoiceField)
        assert isinstance(purpose, forms.ModelChoiceField)
        guardianship.queryset = (
            Guardianship.objects.filter(pupil_id__in=pupils, parental_responsibility=True)
            .select_related("pupil", "guardian")
            .order_by("pupil__first_name", "pupil__last_name", "guardian__display_name")
        )
        purpose.queryset = ConsentPurpose.objects.standing().filter(school_id=school_class.school_id)


class FormTextForm(forms.Form):
    """A new version of one purpose's form: the text guardians are asked to agree to."""

    text = forms.CharField(label=_("Text of the form"), widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=10000)
