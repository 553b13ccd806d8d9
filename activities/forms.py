"""The form staff announce an activity with."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from activities.actions.create import Draft
from activities.models import Activity
from messaging.models import Conversation


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices,
                             widget=forms.RadioSelect, initial=Activity.Kind.EVENT)
    title = forms.CharField(label=_("Title"), max_length=200)
    conversations = forms.MultipleChoiceField(
        label=_("Where"), widget=forms.CheckboxSelectMultiple,
        help_text=_("One or more classes, or one group."))
    starts_at = forms.DateTimeField(label=_("Starts"),
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Ends"),
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reply_by = forms.DateTimeField(label=_("Reply by"),
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    bring = forms.CharField(label=_("What to bring"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    cost = forms.CharField(label=_("Cost"), max_length=100, required=False,
                           help_text=_("Shown to parents; Schoolchat collects no money."))
    slip_text = forms.CharField(
        label=_("Permission slip (trips only)"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The text parents sign. Leave it empty when no slip is needed."))
    slip_rule = forms.ChoiceField(label=_("Who signs"), choices=Activity.SlipRule.choices,
                                  widget=forms.RadioSelect, initial=Activity.SlipRule.ANY)

    def __init__(self, *args: Any, places: list[tuple[Conversation, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places = {str(c.pk): c for c, _name in places}
        field = self.fields["conversations"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(c.pk), name) for c, name in places]

    def chosen(self) -> list[Conversation]:
        return [self.places[pk] for pk in self.cleaned_data["conversations"]]

    def draft(self) -> Draft:
        data = self.cleaned_data
        return Draft(title=data["title"], kind=data["kind"], starts_at=data["starts_at"],
                     ends_at=data["ends_at"], reply_by=data["reply_by"], place=data["place"],
                     bring=data["bring"], cost=data["cost"], slip_text=data["slip_text"],
                     slip_rule=data["slip_rule"])
