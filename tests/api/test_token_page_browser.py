"""The admin makes and revokes an API token on a phone (390x844) against a real daphne
process, in English, Dutch and Russian, checked by axe: the new token is shown once, in full,
within the screen; it works at once; revoked, it no longer does."""

from __future__ import annotations

import re

import pytest

from accounts.models import School, User
from api.models import ApiToken
from tests.api.conftest import call
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}

# name label, acts-as label, a scope's label, the button, the new token's heading, revoked
TEXTS = {
    "en": ("Token name", "Acts as", "Read the conversations' names, kinds and sizes", "Make the token",
           "Your new token", "was revoked"),
    "nl": ("Naam van de token", "Handelt namens", "De namen, soorten en grootte van de gesprekken lezen",
           "Token maken", "Uw nieuwe token", "is ingetrokken"),
    "ru": ("Название токена", "Действует от имени", "Читать названия, виды и размеры бесед",
           "Создать токен", "Ваш новый токен", "отозван"),
}


def test_making_and_revoking_a_token_on_a_phone_in_three_languages(
        live_server_url: str, login: Login, school: School, admin: User,  # noqa: F811
        teacher: User) -> None:
    page = login(live_server_url, "admin", viewport=PHONE)  # type: ignore[arg-type]
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    for language, (name, acts_as, scope, make, heading, revoked) in TEXTS.items():
        User.objects.filter(pk=admin.pk).update(language=language)
        page.goto(f"{live_server_url}/school/api-tokens/")
        page.get_by_label(name, exact=True).fill(f"Website {language}")
        page.get_by_label(acts_as).select_option(label="Ms de Vries")
        page.get_by_label(scope).check()
        page.get_by_role("button", name=make).click()
        page.get_by_role("heading", name=heading).wait_for()
        page.wait_for_load_state("load")
        secret = page.locator("#token-secret").inner_text()
        assert re.fullmatch(r"sc_[\w-]{43}", secret)
        box = page.locator("#token-secret").bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert call("get", "/api/conversations", secret).status_code == 200
        token = ApiToken.objects.get(name=f"Website {language}")
        page.locator(f'li.token[data-prefix="{token.prefix}"]').get_by_role("button").click()
        page.locator(".flash").get_by_text(revoked).wait_for()
        assert page.locator("#token-secret").count() == 0
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert call("get", "/api/conversations", secret).status_code == 401
        # The page's link to the documentation: the operations, read from the OpenAPI document.
        page.get_by_role("link", name={"en": "How the API works", "nl": "Hoe de API werkt",
                                       "ru": "Как устроен API"}[language]).click()
        page.locator("#post_announcement").wait_for()
        page.wait_for_load_state("load")  # its stylesheet too
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert errors == []
