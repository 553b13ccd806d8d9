"""The school admin's dashboard panel: whether staff can sign in with the school's account."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.dashboard import Link, Panel
from accounts.models import School, User
from sso.models import SsoProvider


def build(school: School, user: User) -> Panel:
    provider = SsoProvider.objects.filter(school=school).first()
    if provider is None:
        note = _("Staff sign in with their Schoolchat password.")
    elif provider.enabled:
        note = _("Staff may sign in with %(provider)s.") % {"provider": provider.name}
    else:
        note = _("Sign-in with %(provider)s is set up but not offered.") % {
            "provider": provider.name}
    return Panel(title=_("Single sign-on"), notes=[note],
                 links=[Link(_("Set up sign-in with the school's account"),
                             reverse("sso:settings"))])
