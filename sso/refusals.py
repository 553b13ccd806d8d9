"""What a person is told when a sign-in with the school's account does not go through.

Each refusal is a code (kept in the audit record and the log) and one sentence for the person.
None names another person's account, and none says more about an account than the person who
owns the address at the school's provider may know.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from accounts.models import User


class Refused(Exception):
    """A sign-in that stops here; ``code`` says why, :func:`sentence` tells the person."""

    def __init__(self, code: str, *, detail: str = "", user: User | None = None,
                 subject: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        # Set once the provider's answer was verified: whose account it named, if any.
        self.user = user
        self.subject = subject


def sentence(code: str, *, school: str, provider: str) -> str:
    names = {"school": school, "provider": provider}
    texts = {
        "no_account": _("No Schoolchat account of %(school)s matches the account you signed in "
                        "with at %(provider)s. Ask the school office to add you, or log in with "
                        "your username and password."),
        "ambiguous": _("More than one Schoolchat account of %(school)s has this e-mail address, "
                       "so none is opened. Log in with your username and password."),
        "not_staff": _("Only staff of %(school)s sign in with %(provider)s. Parents and pupils "
                       "log in with their username and password."),
        "closed": _("This Schoolchat account is closed. Ask the school office if that is "
                    "wrong."),
        "not_activated": _("Your Schoolchat account is not in use yet. Open the invitation the "
                           "school sent you first; after that you can sign in with "
                           "%(provider)s."),
        "no_claim": _("%(provider)s did not say which account you signed in with (no e-mail "
                      "address or username). Ask the school's IT staff to check the set-up."),
        "state": _("This sign-in has expired or was already used. Start again from the login "
                   "page."),
        "denied": _("The sign-in at %(provider)s was cancelled or refused. Start again from the "
                    "login page."),
        "token": _("%(provider)s did not accept this sign-in (it may have been used already). "
                   "Start again from the login page."),
        "id_token": _("The answer from %(provider)s could not be verified, so nobody is signed "
                      "in. Start again; if it happens again, tell the school's IT staff."),
        "wrong_issuer": _("The sign-in service answered as a different issuer than %(school)s "
                          "set up, so nobody is signed in. Tell the school's IT staff."),
        "unreachable": _("%(provider)s could not be reached. Try again later, or log in with "
                         "your username and password."),
        "secret": _("The sign-on of %(school)s needs to be set up again by its admin. Log in "
                    "with your username and password."),
        "off": _("%(school)s does not offer sign-in with a school account. Log in with your "
                 "username and password."),
    }
    return texts.get(code, texts["id_token"]) % names
