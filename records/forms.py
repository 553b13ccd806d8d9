"""Forms of the DPO pages and the retention policy page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Pupil, Role, School, User
from archive.models import DEFAULT_RETENTION_DAYS, Category
from messaging.models import Conversation


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.public_name} ({obj.username})"


class PupilField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        if obj.ref.startswith("erased-"):  # an erased pupil's reference is no one's
            return f"{obj.first_name} {obj.last_name}"
        return f"{obj.first_name} {obj.last_name} ({obj.ref})"


class _SchoolForm(forms.Form):
    """Choices limited to the signed-in person's school."""

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                field.queryset = field.queryset.model._default_manager.filter(school=school)


class SearchForm(_SchoolForm):
    person = PersonField(User.objects.all(), required=False, label=_("Person"))
    pupil = PupilField(Pupil.objects.all(), required=False, label=_("Pupil"))
    conversation = forms.ModelChoiceField(Conversation.objects.all(), required=False,
                                          label=_("Conversation"))
    date_from = forms.DateField(required=False, label=_("From"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label=_("Until"),
                              widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(required=False, max_length=200, label=_("Text"))


class ExportForm(_SchoolForm):
    person = PersonField(User.objects.all(), required=False, label=_("Person"))
    pupil = PupilField(Pupil.objects.all(), required=False, label=_("Pupil"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("person")) == bool(data.get("pupil")):
            raise forms.ValidationError(_("Choose either a person or a pupil."))
        return data


class HoldForm(ExportForm):
    conversation = forms.ModelChoiceField(Conversation.objects.all(), required=False,
                                          label=_("Conversation"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             label=_("Reason"))

    def clean(self) -> dict[str, Any]:
        data = forms.Form.clean(self) or {}
        chosen = [k for k in ("person", "pupil", "conversation") if data.get(k)]
        if len(chosen) != 1:
            raise forms.ValidationError(_("Choose one person, pupil or conversation."))
        return data

    @property
    def target(self) -> Any:
        data = self.cleaned_data
        return data.get("person") or data.get("pupil") or data.get("conversation")


class LiftForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             label=_("Reason for lifting"),
                             error_messages={"required": _("Give the reason for lifting the hold.")})


class ReleaseForm(forms.Form):
    """Release one safeguarding record into the export of a person it concerns: the subject
    is "user:<id>" or "pupil:<id>", as the DPO's oversight page offers them."""

    subject = forms.RegexField(r"^(user|pupil):\d{1,18}$", label=_("Whose export"),
                               error_messages={"invalid": _("Choose a person the record is "
                                                            "about.")})
    reason = forms.CharField(max_length=2000, label=_("Why release it"),
                             error_messages={"required": _("Give the reason for releasing "
                                                           "it.")})
    page = forms.IntegerField(required=False, min_value=1)

    def subject_in(self, school: School) -> User | Pupil | None:
        """The person or pupil chosen, if they are of ``school``."""
        kind, _colon, pk = self.cleaned_data["subject"].partition(":")
        model: type[User] | type[Pupil] = User if kind == "user" else Pupil
        return model.objects.filter(pk=int(pk), school=school).first()


class RetentionForm(forms.Form):
    def __init__(self, *args: Any, current: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category, label in Category.choices:
            self.fields[category] = forms.IntegerField(
                min_value=1, max_value=36500, label=label, initial=current[category],
                help_text=_("Default: %(days)d days") % {"days": DEFAULT_RETENTION_DAYS[category]},
            )


class ErasureForm(_SchoolForm):
    person = PersonField(User.objects.all(), required=False, label=_("Person"))
    pupil = PupilField(Pupil.objects.all(), required=False, label=_("Pupil"),
                       help_text=_("A pupil's record, whether or not they have an account: a "
                                   "pupil with an account is erased together with it."))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=2000, label=_("Note"),
                           help_text=_("How and when the person asked, and anything agreed."))

    def __init__(self, *args: Any, school: School, erased: set[int],
                 erased_pupils: set[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, school=school, **kwargs)
        erased_pupils = erased_pupils or set()
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField) and field.queryset is not None
        # The DPO and the safeguarding lead are the operator's to erase (separation of duties).
        field.queryset = (field.queryset.exclude(pk__in=erased).exclude(role__in=Role.operator_managed())
                          .order_by("display_name", "username"))
        pupils = self.fields["pupil"]
        assert isinstance(pupils, forms.ModelChoiceField) and pupils.queryset is not None
        pupils.queryset = (pupils.queryset.exclude(pk__in=erased_pupils)
                           .order_by("last_name", "first_name", "pk"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("person")) == bool(data.get("pupil")):
            raise forms.ValidationError(_("Choose either a person or a pupil."))
        return data

    @property
    def subject(self) -> Any:
        return self.cleaned_data.get("person") or self.cleaned_data.get("pupil")


class ReviewForm(forms.Form):
    """The DPO's decision on each thing written about a pupil: include it or leave it out,
    with a reason. One pair of fields per candidate, named by its key."""

    INCLUDE, LEAVE_OUT = "include", "leave_out"

    def __init__(self, *args: Any, keys: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys = keys
        for key in keys:
            self.fields[f"decision-{key}"] = forms.ChoiceField(
                label=_("Decision"), widget=forms.RadioSelect,
                choices=[(self.INCLUDE, _("Include")), (self.LEAVE_OUT, _("Leave out"))],
                error_messages={"required": _("Include it or leave it out.")})
            self.fields[f"reason-{key}"] = forms.CharField(
                label=_("Reason"), max_length=500,
                error_messages={"required": _("Give the reason for this decision.")})

    def decisions(self) -> dict[str, tuple[bool, str]]:
        data = self.cleaned_data
        return {key: (data[f"decision-{key}"] == self.INCLUDE, data[f"reason-{key}"])
                for key in self.keys}
