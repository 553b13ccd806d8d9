"""The token page's form: a name, whom the token acts as, and what it may do."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import School, User
from api.access import api_actors
from api.models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100,
                           help_text=_("Which system uses it, e.g. “Pupil administration”."))
    acts_as = forms.TypedChoiceField(
        label=_("Acts as"), coerce=int,
        help_text=_("The token sees and may do what this person may; the archive names them "
                    "for what it does."))
    scopes = forms.MultipleChoiceField(label=_("May"), choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {person.pk: person for person in api_actors(school)}
        field = self.fields["acts_as"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(pk, person.public_name) for pk, person in self.people.items()]

    def clean_acts_as(self) -> User:
        return self.people[self.cleaned_data["acts_as"]]
