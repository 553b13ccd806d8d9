"""The login page's offer to sign in with the school's account (a template context processor,
listed in schoolchat's settings, so that accounts' login page needs no import of this app).

Which school's provider is offered: the one named by ``?school=<slug>``, else the one this
browser last started a sign-in with (a cookie), else the installation's only one. With several
schools and none known, the page links to the list of schools that offer it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from sso.models import SsoProvider

COOKIE = "schoolchat_sso_school"


@dataclass(frozen=True)
class Offer:
    text: str
    href: str
    note: str = ""


def _start(provider: SsoProvider, next_url: str) -> Offer:
    href = reverse("sso:start", args=[provider.school.slug])
    if next_url:
        href = f"{href}?{urlencode({'next': next_url})}"
    return Offer(text=_("Sign in with %(provider)s") % {"provider": provider.name}, href=href,
                 note=_("For staff of %(school)s.") % {"school": provider.school.name})


def offer(request: HttpRequest) -> Offer | None:
    offered = SsoProvider.objects.filter(enabled=True).select_related("school")
    slug = request.GET.get("school") or request.COOKIES.get(COOKIE) or ""
    next_url = request.GET.get("next", "")
    chosen = offered.filter(school__slug=slug).first() if slug else None
    if chosen is not None:
        return _start(chosen, next_url)
    some = list(offered[:2])
    if len(some) == 1:
        return _start(some[0], next_url)
    if some:
        href = reverse("sso:choose")
        if next_url:
            href = f"{href}?{urlencode({'next': next_url})}"
        return Offer(text=_("Staff: sign in with your school's account"), href=href)
    return None


def login_offer(request: HttpRequest) -> dict[str, Offer | None]:
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "login":
        return {}
    return {"sso_offer": offer(request)}
