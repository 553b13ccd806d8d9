"""A school's OpenID Connect provider: where its staff sign in with the school's own account.

One per school. The client secret is kept encrypted (:mod:`sso.secret_box`) and never shown
again once saved; everything else is what the school admin (or the operator, with
``manage.py school_sso``) typed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import School


class Match(models.TextChoices):
    """Which claim of the provider's ID token names the Schoolchat account."""

    EMAIL = "email", _("E-mail address")
    USERNAME = "username", _("Username")


class SsoProvider(models.Model):
    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="sso_provider",
                                  verbose_name=_("school"))
    name = models.CharField(
        _("name on the login page"), max_length=60,
        help_text=_('Shown as "Sign in with …", for example "Microsoft" or "Google".'))
    issuer = models.URLField(
        _("issuer"), max_length=300,
        help_text=_("The provider's issuer URL; its /.well-known/openid-configuration is read "
                    "from there."))
    client_id = models.CharField(_("client ID"), max_length=200)
    # Fernet token of the client secret (sso.secret_box); never shown again.
    client_secret_sealed = models.TextField(editable=False)
    match = models.CharField(_("account is found by"), max_length=20, choices=Match.choices,
                             default=Match.EMAIL)
    trust_provider_2fa = models.BooleanField(
        _("trust the provider's second factor"), default=False,
        help_text=_("When the provider says the person used a second factor (the amr or acr "
                    "claim), Schoolchat asks no code of its own. Otherwise staff still give "
                    "their Schoolchat code."))
    enabled = models.BooleanField(_("offered on the login page"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+", editable=False)

    class Meta:
        verbose_name = _("single sign-on provider")
        verbose_name_plural = _("single sign-on providers")

    def __str__(self) -> str:
        return f"{self.school}: {self.name}"
