"""Forms of the accounts pages: parsing and friendly errors only; rules live in actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import get_language, get_language_info, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import signin
from accounts.models import OPERATOR_ROLES, Role, School, SchoolClass, User


def backoff_error(seconds: int) -> forms.ValidationError:
    return forms.ValidationError(ngettext(
        "Too many wrong attempts on this account. Wait %(seconds)d second and try again.",
        "Too many wrong attempts on this account. Wait %(seconds)d seconds and try again.",
        seconds) % {"seconds": seconds}, code="backoff")


class LoginForm(AuthenticationForm):
    """Django's login form, refusing without checking the password while the account's
    back-off runs (the password is not even looked at, so a guess then says nothing). The
    username field also takes the account's e-mail address (accounts.backends)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That username or e-mail address and password do not match an "
                           "account. Check both and try again."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username or e-mail address")

    def clean(self) -> dict[str, Any]:
        wait = signin.backoff_seconds(self.cleaned_data.get("username") or "")
        if wait:
            raise backoff_error(wait)
        return super().clean()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=40, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                      "autocapitalize": "none"}),
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
    )


class JoinCodeForm(forms.Form):
    """The short code of a printed invitation letter (accounts.shortcodes)."""

    code = forms.CharField(
        label=_("Code from the letter"), max_length=40, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false", "inputmode": "text"}),
        help_text=_("8 letters and digits, like ABCD-EFGH. Capitals or not, with or without "
                    "the dash."),
    )


class SetupCodeForm(CodeForm):
    """The first code, which confirms the app has the key; recovery codes come after it."""

    code = forms.CharField(
        label=_("Code"), max_length=40, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autocapitalize": "none"}),
        help_text=_("The 6-digit code your authenticator app shows for Schoolchat now."),
    )


# The roles a school admin gives: never those only the operator manages.
ADMIN_ROLE_CHOICES = [(value, label) for value, label in Role.choices
                      if value not in OPERATOR_ROLES]


class AccountForm(forms.ModelForm):
    send_invitation = forms.BooleanField(
        label=_("E-mail the invitation"), required=False, initial=True,
        help_text=_("Sent to the e-mail address above. Without it, you get the link to pass on."),
    )

    class Meta:
        model = User
        fields = ["username", "display_name", "role", "email", "phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True
        _admin_roles_only(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("send_invitation") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Add an e-mail address to e-mail the invitation to."))
        return data


class PersonForm(forms.ModelForm):
    """What an admin edits about an existing person."""

    class Meta:
        model = User
        fields = ["display_name", "role", "email", "phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _admin_roles_only(self)


def _admin_roles_only(form: forms.ModelForm) -> None:
    """A posted DPO or safeguarding role is an invalid choice, like any unknown one."""
    field = form.fields["role"]
    assert isinstance(field, forms.ChoiceField)
    field.choices = ADMIN_ROLE_CHOICES


class LeaveForm(forms.Form):
    leaves_on = forms.DateField(
        label=_("Leave date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
    )
    now = forms.BooleanField(label=_("Leave now"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("now") and not data.get("leaves_on"):
            raise forms.ValidationError(_("Choose a leave date or 'leave now'."))
        return data


class PolicyForm(forms.ModelForm):
    class Meta:
        model = School
        fields = ["language", "pupil_accounts", "digital_consent_age", "parent_direct_messages",
                  "staff_pupil_direct_messages", "staff_pupil_direct", "require_staff_2fa",
                  "confirm_group_size",
                  "post_burst", "posts_per_minute", "upload_burst", "uploads_per_minute",
                  "invitation_burst", "invitations_per_minute",
                  "voice_max_seconds", "voice_max_kilobytes",
                  # Phones and shared devices (notifications).
                  "lock_screen_text", "offline_copies"]
        labels = {
            "language": _("The school's language"),
            "staff_pupil_direct": _("A one-to-one conversation between staff and a pupil"),
            "lock_screen_text": _("What a notification shows on a locked phone"),
            "offline_copies": _("Keep the last opened conversations on each device, to read "
                                "without a connection"),
        }
        help_texts = {
            "language": _("Invitations, letters, mails and notifications go out in it to "
                          "everyone who has not chosen a language of their own, and the "
                          "data-protection paperwork is written in it."),
            "staff_pupil_direct": _("Never a private one: either a second member of staff is in "
                                    "it (the pupil's class teacher where there is one), or the "
                                    "school's safeguarding leads can read it. Pupils never "
                                    "message other pupils one to one."),
            "lock_screen_text": _("Anyone who picks up a parent's phone can read its lock "
                                  "screen. With the sender and conversation only, the message "
                                  "itself is read after unlocking and signing in."),
            "offline_copies": _("Switch this off where families share phones or computers: the "
                                "next person on the device could read the copies. Devices "
                                "delete the kept copies the next time they open Schoolchat online."),
        }

    RATE_FIELDS = ("post_burst", "posts_per_minute", "upload_burst", "uploads_per_minute",
                   "invitation_burst", "invitations_per_minute", "voice_max_seconds",
                   "voice_max_kilobytes")
    # Left out of a post (an older form still open in a tab): the policy stays as it is.
    KEPT_WHEN_MISSING = (*RATE_FIELDS, "lock_screen_text", "staff_pupil_direct")
    # Fields an older form still open in a tab may lack; blank is a real choice for them.
    KEPT_WHEN_ABSENT = ("language",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.KEPT_WHEN_MISSING:
            self.fields[name].required = False  # left empty: the policy stays as it is
        installation = dict(language_choices())[settings.LANGUAGE_CODE]
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)  # a model field with choices
        language.choices = [
            ("", _("The installation's language (%(language)s)") % {"language": installation}),
            *language_choices()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.KEPT_WHEN_ABSENT:
            if self.is_bound and name not in self.data:
                data[name] = getattr(self.instance, name)
        for name in self.KEPT_WHEN_MISSING:
            if data.get(name) in (None, ""):
                data[name] = getattr(self.instance, name)
            elif name in self.RATE_FIELDS and not 1 <= data[name] <= 10_000:
                self.add_error(name, _("Choose a number between 1 and 10000."))
        return data

    def changes(self) -> dict[str, Any]:
        """The policies the admin changed, with their new values (after ``is_valid()``):
        a field left out of the post, or sent as it was, is not a change."""
        return {name: self.cleaned_data[name] for name in self.changed_data
                if self.cleaned_data[name] != self.initial.get(name)}

    def clean_digital_consent_age(self) -> int:
        age = self.cleaned_data["digital_consent_age"]
        if not 13 <= age <= 18:
            raise forms.ValidationError(_("The digital-consent age is between 13 and 18."))
        return int(age)

    def clean_confirm_group_size(self) -> int:
        size = self.cleaned_data["confirm_group_size"]
        if not 2 <= size <= 1000:
            raise forms.ValidationError(_("Choose a number of people between 2 and 1000."))
        return int(size)


class ClassForm(forms.ModelForm):
    class Meta:
        model = SchoolClass
        fields = ["name"]


class RosterForm(forms.Form):
    file = forms.FileField(label=_("Roster file (CSV)"))


def language_choices() -> list[tuple[str, str]]:
    """Each language in its own words ("Nederlands", "Русский"), as the footer lists them."""
    return [(code, str(get_language_info(code)["name_local"])) for code, _name in settings.LANGUAGES]


class FirstPasswordForm(SetPasswordForm):
    """The invitation's step: a password, and the language of the person's pages and mails,
    starting from the one this browser shows (its cookie or its own language)."""

    language = forms.ChoiceField(label=_("Language"), choices=language_choices, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shown = get_language()
        self.fields["language"].initial = (
            shown if shown in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE)

    def clean_language(self) -> str:
        """Left out (a form posted by a script): the language the page was shown in."""
        return str(self.cleaned_data.get("language") or self.fields["language"].initial)


class StaffAssignmentForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(
            school=school, left_at__isnull=True, role__in=Role.class_staff()
        ).order_by("display_name")


class GuardianshipForm(forms.Form):
    parental_responsibility = forms.BooleanField(label=_("Parental responsibility"),
                                                 required=False)
    no_contact = forms.BooleanField(label=_("No contact"), required=False)


class MoveForm(forms.Form):
    school_class = forms.ModelChoiceField(label=_("Class"), queryset=SchoolClass.objects.none())

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["school_class"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = SchoolClass.objects.filter(school=school).order_by("name")
