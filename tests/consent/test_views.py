"""The consent pages for every role: parent of the class, parent of another class, teacher of
the class, teacher of another class, admin, DPO. Outsiders get 404, never 403."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import consent
from accounts.models import Guardianship, Pupil, School, SchoolClass, User
from consent import actions
from consent.models import ConsentPurpose, ConsentRecord, ConsentRequest
from consent.services import has_consent
from tests.factories import PupilFactory, UserFactory, enrol

ROLES = ["parent", "parent_5a", "teacher", "teacher_5a", "admin", "dpo"]
CLASS_STAFF = {"teacher", "admin"}


@pytest.fixture
def users(parent: User, parent_5a: User, teacher: User, teacher_5a: User, admin: User,
          dpo: User) -> dict[str, User]:
    return {"parent": parent, "parent_5a": parent_5a, "teacher": teacher,
            "teacher_5a": teacher_5a, "admin": admin, "dpo": dpo}


def _client(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# --- the guardian page ------------------------------------------------------------------------

def test_the_guardian_sees_every_purpose_of_their_child(client: Client, purposes: dict[str, ConsentPurpose],
                                                        parent: User, emma: Pupil) -> None:
    response = _client(client, parent).get(reverse("consent:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert str(emma) in html
    for purpose in purposes.values():
        assert purpose.name in html
    assert "I agree that staff may share photos" in html  # the form text
    assert 'name="csrfmiddlewaretoken"' in html
    assert html.count('value="granted"') == 4


@pytest.mark.parametrize("role", ["parent_5a", "teacher", "teacher_5a", "admin", "dpo"])
def test_nobody_else_sees_emma_on_their_consent_page(client: Client, purposes: dict[str, ConsentPurpose],
                                                     users: dict[str, User], emma: Pupil, role: str) -> None:
    response = _client(client, users[role]).get(reverse("consent:index"))
    assert response.status_code == 200
    assert str(emma) not in response.content.decode()


def test_grant_and_withdraw_in_two_taps(client: Client, purposes: dict[str, ConsentPurpose], parent: User,
                                        emma: Pupil) -> None:
    c = _client(client, parent)
    page = c.get(reverse("consent:index")).content.decode()  # tap one: open the page
    form = purposes[consent.PHOTOS_CLASS].current_form()
    assert form is not None
    form_id = form.pk
    assert f'value="{form_id}"' in page
    url = reverse("consent:decide", args=[emma.pk, consent.PHOTOS_CLASS])
    response = c.post(url, {"decision": "granted", "form": form_id})  # tap two
    assert response.status_code == 302
    assert response["Location"].endswith(f"#p{emma.pk}-{consent.PHOTOS_CLASS}")
    assert has_consent(emma, consent.PHOTOS_CLASS)
    page = c.get(response["Location"]).content.decode()
    assert "You gave consent for “Photos in class groups”" in page
    assert "Withdraw consent" in page
    c.post(url, {"decision": "withdrawn", "form": form_id})
    assert not has_consent(emma, consent.PHOTOS_CLASS)
    page = c.get(reverse("consent:index")).content.decode()
    assert "You withdrew consent" in page
    assert page.count("Anna Jansen") >= 3  # the history names who decided, twice, plus the top bar


def test_the_history_shows_both_guardians_and_paper(client: Client, purposes: dict[str, ConsentPurpose],
                                                    parent: User, parent2: User, teacher: User,
                                                    emma: Pupil) -> None:
    actions.decide(parent2, emma, consent.PHOTOS_CLASS, "granted")
    actions.record_paper(teacher, parent, emma, consent.PHOTOS_WEBSITE, "refused",
                         timezone.localdate())
    html = _client(client, parent).get(reverse("consent:index")).content.decode()
    assert "Mark Jansen" in html
    assert "on paper" in html and "recorded by Ms de Vries" in html
    assert "+31 6" not in html and "@example.invalid" not in html


def test_a_stale_form_is_refused_with_a_message(client: Client, purposes: dict[str, ConsentPurpose],
                                                parent: User, emma: Pupil) -> None:
    old = purposes[consent.PHOTOS_CLASS].current_form()
    assert old is not None
    actions.publish_form(purposes[consent.PHOTOS_CLASS], "Version two.", actor=None)
    response = _client(client, parent).post(
        reverse("consent:decide", args=[emma.pk, consent.PHOTOS_CLASS]),
        {"decision": "granted", "form": old.pk}, follow=True,
    )
    assert "The form has changed" in response.content.decode()
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("role", ["parent_5a", "teacher", "teacher_5a", "admin", "dpo"])
def test_only_a_guardian_may_decide(client: Client, purposes: dict[str, ConsentPurpose],
                                    users: dict[str, User], emma: Pupil, role: str) -> None:
    form = purposes[consent.PHOTOS_CLASS].current_form()
    assert form is not None
    form_id = form.pk
    response = _client(client, users[role]).post(
        reverse("consent:decide", args=[emma.pk, consent.PHOTOS_CLASS]),
        {"decision": "granted", "form": form_id},
    )
    assert response.status_code == 404
    assert not ConsentRecord.objects.exists()


def test_a_guardian_without_parental_responsibility_gets_404(client: Client,
                                                             purposes: dict[str, ConsentPurpose],
                                                             stepparent: User, emma: Pupil) -> None:
    form = purposes[consent.PHOTOS_CLASS].current_form()
    assert form is not None
    form_id = form.pk
    c = _client(client, stepparent)
    assert str(emma) not in c.get(reverse("consent:index")).content.decode()
    response = c.post(reverse("consent:decide", args=[emma.pk, consent.PHOTOS_CLASS]),
                      {"decision": "granted", "form": form_id})
    assert response.status_code == 404


def test_deciding_needs_a_post(client: Client, purposes: dict[str, ConsentPurpose], parent: User,
                               emma: Pupil) -> None:
    response = _client(client, parent).get(
        reverse("consent:decide", args=[emma.pk, consent.PHOTOS_CLASS]))
    assert response.status_code == 405


def test_anonymous_users_are_sent_to_sign_in(client: Client, purposes: dict[str, ConsentPurpose], emma: Pupil,
                                             class_4b: SchoolClass) -> None:
    for url in (reverse("consent:index"), reverse("consent:coverage", args=[class_4b.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


# --- pending requests on sign-in --------------------------------------------------------------

def test_pending_requests_show_as_a_banner_in_the_inbox(client: Client, purposes: dict[str, ConsentPurpose],
                                                        teacher: User, parent: User, parent_5a: User,
                                                        class_4b: SchoolClass) -> None:
    c = _client(client, parent)
    assert "consent-banner" not in c.get(reverse("messaging:inbox")).content.decode()
    actions.request_consent(teacher, class_4b, consent.PHOTOS_CLASS)
    actions.request_consent(teacher, class_4b, consent.PHOTOS_TOGETHER)
    html = c.get(reverse("messaging:inbox")).content.decode()
    assert "decision on 2 consent questions" in html
    page = c.get(reverse("consent:index")).content.decode()
    assert page.count("The school asks for your decision.") == 2
    # Another class's parent is not asked.
    client.logout()
    html = _client(client, parent_5a).get(reverse("messaging:inbox")).content.decode()
    assert "consent-banner" not in html


def test_an_answer_by_either_guardian_clears_the_request(client: Client, purposes: dict[str, ConsentPurpose],
                                                         teacher: User, parent: User, parent2: User,
                                                         emma: Pupil, class_4b: SchoolClass) -> None:
    actions.request_consent(teacher, class_4b, consent.PHOTOS_CLASS)
    actions.decide(parent2, emma, consent.PHOTOS_CLASS, "refused")
    html = _client(client, parent).get(reverse("messaging:inbox")).content.decode()
    assert "consent-banner" not in html


def test_a_new_form_version_is_pending_for_those_who_decided(client: Client,
                                                             purposes: dict[str, ConsentPurpose],
                                                             parent: User, emma: Pupil) -> None:
    actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    actions.publish_form(purposes[consent.PHOTOS_CLASS], "Version two.", actor=None)
    c = _client(client, parent)
    assert "decision on 1 consent question." in c.get(reverse("messaging:inbox")).content.decode()
    assert "please read it and decide again" in c.get(reverse("consent:index")).content.decode()


# --- staff pages ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_the_coverage_page_of_4b_by_role(client: Client, purposes: dict[str, ConsentPurpose],
                                         users: dict[str, User], class_4b: SchoolClass, role: str) -> None:
    response = _client(client, users[role]).get(reverse("consent:coverage", args=[class_4b.pk]))
    assert response.status_code == (200 if role in CLASS_STAFF else 404)


@pytest.mark.parametrize("role", ROLES)
def test_the_consent_nav_link_by_role(client: Client, purposes: dict[str, ConsentPurpose],
                                      users: dict[str, User], role: str) -> None:
    html = _client(client, users[role]).get(reverse("messaging:inbox")).content.decode()
    assert (reverse("consent:index") in html) == (role != "dpo")


@pytest.mark.parametrize("role", ROLES)
def test_requesting_consent_from_4b_by_role(client: Client, purposes: dict[str, ConsentPurpose],
                                            users: dict[str, User], class_4b: SchoolClass, role: str) -> None:
    response = _client(client, users[role]).post(
        reverse("consent:request", args=[class_4b.pk]),
        {"purpose": purposes[consent.PHOTOS_CLASS].pk},
    )
    if role in CLASS_STAFF:
        assert response.status_code == 302
        assert ConsentRequest.objects.filter(school_class=class_4b).count() == 1
    else:
        assert response.status_code == 404
        assert not ConsentRequest.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_the_paper_form_page_by_role(client: Client, purposes: dict[str, ConsentPurpose],
                                     users: dict[str, User], class_4b: SchoolClass, emma: Pupil,
                                     role: str) -> None:
    c = _client(client, users[role])
    page = c.get(reverse("consent:paper", args=[class_4b.pk]))
    guardianship = Guardianship.objects.get(pupil=emma)
    response = c.post(reverse("consent:paper", args=[class_4b.pk]), {
        "guardianship": guardianship.pk, "purpose": purposes[consent.PHOTOS_CLASS].pk,
        "decision": "granted", "signed_on": timezone.localdate().isoformat(),
    })
    if role in CLASS_STAFF:
        assert page.status_code == 200
        assert "Emma" in page.content.decode()
        assert response.status_code == 302
        record = ConsentRecord.objects.get()
        assert (record.method, record.recorded_by) == ("paper", users[role])
        assert has_consent(emma, consent.PHOTOS_CLASS)
    else:
        assert page.status_code == 404
        assert response.status_code == 404
        assert not ConsentRecord.objects.exists()


def test_the_paper_form_offers_only_this_class_and_responsible_guardians(
    client: Client, purposes: dict[str, ConsentPurpose], teacher: User, class_4b: SchoolClass,
    stepparent: User, mateo: Pupil) -> None:
    html = _client(client, teacher).get(reverse("consent:paper", args=[class_4b.pk])).content.decode()
    assert "Anna Jansen" in html
    assert "Chris Smit" not in html  # no parental responsibility
    assert str(mateo) not in html


def test_the_paper_form_rejects_a_future_date(client: Client, purposes: dict[str, ConsentPurpose],
                                              teacher: User, class_4b: SchoolClass, emma: Pupil) -> None:
    from datetime import timedelta

    guardianship = Guardianship.objects.get(pupil=emma)
    response = _client(client, teacher).post(reverse("consent:paper", args=[class_4b.pk]), {
        "guardianship": guardianship.pk, "purpose": purposes[consent.PHOTOS_CLASS].pk,
        "decision": "granted",
        "signed_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
    })
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_the_coverage_page_lists_exactly_the_pupils_lacking_each_consent(
    client: Client, purposes: dict[str, ConsentPurpose], school: School, teacher: User, parent: User,
    emma: Pupil, class_4b: SchoolClass) -> None:
    other = UserFactory(username="parent_noah", school=school)
    noah = enrol(PupilFactory(school=school, first_name="Noah", last_name="Bakker"), class_4b,
                 other)
    actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    actions.decide(other, noah, consent.PHOTOS_CLASS, "refused")
    actions.decide(other, noah, consent.PARTICIPATION, "granted")
    actions.decide(parent, emma, consent.PARTICIPATION, "granted")
    actions.decide(parent, emma, consent.PARTICIPATION, "withdrawn")
    response = _client(client, teacher).get(reverse("consent:coverage", args=[class_4b.pk]))
    lacking = _lacking(response.content.decode())
    assert lacking == {
        consent.PARTICIPATION: [str(emma)],
        consent.PHOTOS_CLASS: [str(noah)],
        consent.PHOTOS_TOGETHER: sorted([str(emma), str(noah)]),
        consent.PHOTOS_WEBSITE: sorted([str(emma), str(noah)]),
    }


def _lacking(html: str) -> dict[str, list[str]]:
    """Pupil names per purpose, read from the coverage page's markup."""
    import re

    result = {}
    for section in re.findall(r'data-purpose="([^"]+)"(.*?)</section>', html, re.S):
        code, body = section
        result[code] = sorted(re.findall(r'<span class="pupil">([^<]+)</span>', body))
    return result


def test_the_buttons_follow_the_state(client: Client, purposes: dict[str, ConsentPurpose], parent: User,
                                      emma: Pupil) -> None:
    actions.decide(parent, emma, consent.PHOTOS_CLASS, "refused")
    actions.decide(parent, emma, consent.PHOTOS_WEBSITE, "granted")
    html = _client(client, parent).get(reverse("consent:index")).content.decode()
    refused = html.split(f'id="p{emma.pk}-{consent.PHOTOS_CLASS}"')[1].split("</article>")[0]
    granted = html.split(f'id="p{emma.pk}-{consent.PHOTOS_WEBSITE}"')[1].split("</article>")[0]
    assert 'value="granted"' in refused and 'value="refused"' not in refused
    assert 'value="withdrawn"' in granted and 'value="granted"' not in granted


@pytest.mark.parametrize(("language", "name", "button"), [
    ("nl", "Foto&#x27;s in klasgroepen", "Toestemming geven"),
    ("ru", "Фотографии в группах класса", "Дать согласие"),
])
def test_the_guardian_page_speaks_the_guardians_language(client: Client, purposes: dict[str, ConsentPurpose],
                                                         parent: User, emma: Pupil, language: str, name: str,
                                                         button: str) -> None:
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = _client(client, parent).get(reverse("consent:index")).content.decode()
    assert name in html and button in html
