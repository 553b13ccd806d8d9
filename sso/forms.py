from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sso.actions import check_issuer
from sso.models import Match, SsoProvider


class ProviderForm(forms.Form):
    name = forms.CharField(label=_("Name on the login page"), max_length=60,
                           help_text=SsoProvider._meta.get_field("name").help_text)
    issuer = forms.CharField(label=_("Issuer"), max_length=300,
                             help_text=SsoProvider._meta.get_field("issuer").help_text,
                             widget=forms.URLInput(attrs={"spellcheck": "false"}))
    client_id = forms.CharField(label=_("Client ID"), max_length=200,
                                widget=forms.TextInput(attrs={"spellcheck": "false",
                                                              "autocomplete": "off"}))
    # Never shown again: the field always starts empty, and empty keeps the stored secret.
    client_secret = forms.CharField(
        label=_("Client secret"), required=False, max_length=500, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    match = forms.ChoiceField(
        label=_("An account is found by"), choices=Match.choices,
        help_text=_("The provider's email claim is compared with the account's e-mail address "
                    "(without case), its preferred_username claim with the username."))
    trust_provider_2fa = forms.BooleanField(
        label=_("Trust the provider's second factor"), required=False,
        help_text=SsoProvider._meta.get_field("trust_provider_2fa").help_text)
    enabled = forms.BooleanField(label=_("Offer it on the login page"), required=False)

    def __init__(self, *args: object, has_secret: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.has_secret = has_secret
        if has_secret:
            self.fields["client_secret"].help_text = _(
                "A secret is stored; it is never shown. Leave this empty to keep it.")

    def clean_issuer(self) -> str:
        return check_issuer(self.cleaned_data["issuer"])

    def clean_client_secret(self) -> str:
        secret: str = self.cleaned_data["client_secret"]
        if not secret and not self.has_secret:
            raise ValidationError(_("Give the client secret."), code="required")
        return secret
