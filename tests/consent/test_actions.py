"""Deciding, recording paper forms, requesting, and the one question: has_consent()."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

import consent
from accounts.models import Pupil, School, SchoolClass, User
from archive.models import Record
from consent import actions
from consent.models import ConsentPurpose, ConsentRecord, ConsentRequest
from consent.services import has_consent
from consent.signals import consent_changed

PHOTOS = consent.PHOTOS_CLASS


@pytest.fixture
def signals() -> Iterator[list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def receiver(sender: object, **kwargs: Any) -> None:
        sent.append(kwargs)

    consent_changed.connect(receiver)
    yield sent
    consent_changed.disconnect(receiver)


def test_nothing_decided_means_no_consent(purposes: dict[str, ConsentPurpose], emma: Pupil) -> None:
    assert has_consent(emma, PHOTOS) is False


def test_grant_then_withdraw_then_grant(purposes: dict[str, ConsentPurpose], parent: User,
                                        emma: Pupil) -> None:
    actions.decide(parent, emma, PHOTOS, "granted")
    assert has_consent(emma, PHOTOS)
    actions.decide(parent, emma, PHOTOS, "withdrawn")
    assert not has_consent(emma, PHOTOS)
    actions.decide(parent, emma, PHOTOS, "granted")
    assert has_consent(emma, PHOTOS)
    assert ConsentRecord.objects.filter(pupil=emma).count() == 3
    # Other purposes are untouched.
    assert not has_consent(emma, consent.PHOTOS_TOGETHER)


def test_every_decision_is_archived_and_signalled_after_commit(
    purposes: dict[str, ConsentPurpose], parent: User, emma: Pupil,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    signals: list[dict[str, Any]]) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record = actions.decide(parent, emma, PHOTOS, "granted")
    assert len(callbacks) == 1
    assert signals == [{"signal": consent_changed, "pupil": emma, "purpose": PHOTOS,
                        "decision": "granted", "record": record}]
    archived = Record.objects.get(kind="consent.granted")
    assert archived.scope == f"pupil:{emma.pk}"
    assert archived.actor_id == parent.pk
    assert archived.subject_pupil_ids == [emma.pk]
    assert archived.payload.content["text_sha256"] == record.form.text_hash
    assert archived.payload.content["version"] == 1


def test_signals_wait_for_the_commit(purposes: dict[str, ConsentPurpose], parent: User, emma: Pupil,
                                     signals: list[dict[str, Any]]) -> None:
    actions.decide(parent, emma, PHOTOS, "granted")  # the test's transaction never commits
    assert signals == []


def test_two_guardians_disagreeing_the_latest_stands(purposes: dict[str, ConsentPurpose], parent: User,
                                                     parent2: User, emma: Pupil) -> None:
    actions.decide(parent, emma, PHOTOS, "granted")
    actions.decide(parent2, emma, PHOTOS, "refused")
    assert not has_consent(emma, PHOTOS)
    actions.decide(parent, emma, PHOTOS, "granted")
    assert has_consent(emma, PHOTOS)
    actions.decide(parent2, emma, PHOTOS, "withdrawn")
    assert not has_consent(emma, PHOTOS)


def test_a_withdrawal_needs_a_standing_grant(purposes: dict[str, ConsentPurpose], parent: User,
                                             emma: Pupil) -> None:
    with pytest.raises(ValidationError):
        actions.decide(parent, emma, PHOTOS, "withdrawn")
    actions.decide(parent, emma, PHOTOS, "refused")
    with pytest.raises(ValidationError):
        actions.decide(parent, emma, PHOTOS, "withdrawn")


def test_a_double_tap_adds_nothing(purposes: dict[str, ConsentPurpose], parent: User, parent2: User,
                                   emma: Pupil) -> None:
    first = actions.decide(parent, emma, PHOTOS, "granted")
    assert actions.decide(parent, emma, PHOTOS, "granted") == first
    # The other guardian's identical decision is their own record.
    actions.decide(parent2, emma, PHOTOS, "granted")
    assert ConsentRecord.objects.count() == 2
    assert Record.objects.filter(kind="consent.granted").count() == 2


def test_unknown_decisions_are_refused(purposes: dict[str, ConsentPurpose], parent: User,
                                       emma: Pupil) -> None:
    with pytest.raises(ValidationError):
        actions.decide(parent, emma, PHOTOS, "maybe")


def test_has_consent_at_a_past_moment(purposes: dict[str, ConsentPurpose], parent: User, emma: Pupil) -> None:
    granted = actions.decide(parent, emma, PHOTOS, "granted")
    withdrawn = actions.decide(parent, emma, PHOTOS, "withdrawn")
    assert has_consent(emma, PHOTOS, at=granted.decided_at)
    assert not has_consent(emma, PHOTOS, at=withdrawn.decided_at)
    assert not has_consent(emma, PHOTOS, at=granted.decided_at - timedelta(seconds=1))
    assert not has_consent(emma, PHOTOS)


def test_a_non_guardian_cannot_decide(purposes: dict[str, ConsentPurpose], parent_5a: User, teacher: User,
                                      admin: User, emma: Pupil) -> None:
    for user in (parent_5a, teacher, admin):
        with pytest.raises(PermissionDenied):
            actions.decide(user, emma, PHOTOS, "granted")
    assert not ConsentRecord.objects.exists()


def test_a_guardian_without_parental_responsibility_cannot_decide(purposes: dict[str, ConsentPurpose],
                                                                  stepparent: User, emma: Pupil) -> None:
    with pytest.raises(PermissionDenied):
        actions.decide(stepparent, emma, PHOTOS, "granted")
    assert not has_consent(emma, PHOTOS)


def test_an_inactive_guardian_cannot_decide(purposes: dict[str, ConsentPurpose], parent: User,
                                            emma: Pupil) -> None:
    parent.is_active = False
    parent.save()
    with pytest.raises(PermissionDenied):
        actions.decide(parent, emma, PHOTOS, "granted")


def test_a_new_form_version_keeps_grants_and_asks_again(purposes: dict[str, ConsentPurpose], parent: User,
                                                        emma: Pupil) -> None:
    from consent.services import states

    first = actions.decide(parent, emma, PHOTOS, "granted")
    v2 = actions.publish_form(purposes[PHOTOS], "New text about photos.", actor=None)
    assert v2.version == 2
    assert has_consent(emma, PHOTOS)  # still valid until someone decides on v2
    state = next(s for s in states([emma])[emma.pk] if s.purpose.code == PHOTOS)
    assert state.pending and state.form == v2
    # A decision taken on the old text (stale page) is refused.
    with pytest.raises(ValidationError):
        actions.decide(parent, emma, PHOTOS, "refused", form=first.form)
    record = actions.decide(parent, emma, PHOTOS, "granted", form=v2)
    assert record.form == v2
    state = next(s for s in states([emma])[emma.pk] if s.purpose.code == PHOTOS)
    assert not state.pending
    assert list(purposes[PHOTOS].forms.values_list("version", flat=True).order_by("version")) == [
        1, 2
    ]


def test_paper_consent_recorded_by_the_class_teacher(purposes: dict[str, ConsentPurpose], teacher: User,
                                                     parent: User, emma: Pupil) -> None:
    signed = timezone.localdate() - timedelta(days=2)
    record = actions.record_paper(teacher, parent, emma, PHOTOS, "granted", signed)
    assert has_consent(emma, PHOTOS)
    assert (record.method, record.recorded_by, record.guardian, record.signed_on) == (
        "paper", teacher, parent, signed
    )
    archived = Record.objects.get(kind="consent.granted")
    assert archived.actor_id == teacher.pk
    assert archived.payload.content["method"] == "paper"


def test_paper_consent_by_an_admin(purposes: dict[str, ConsentPurpose], admin: User, parent: User,
                                   emma: Pupil) -> None:
    actions.record_paper(admin, parent, emma, PHOTOS, "refused", timezone.localdate())
    assert ConsentRecord.objects.get().decision == "refused"


def test_paper_consent_refused_for_outsiders(purposes: dict[str, ConsentPurpose], teacher_5a: User, dpo: User,
                                             parent_5a: User, parent: User, emma: Pupil) -> None:
    for staff in (teacher_5a, dpo, parent_5a, parent):
        with pytest.raises(PermissionDenied):
            actions.record_paper(staff, parent, emma, PHOTOS, "granted", timezone.localdate())
    assert not ConsentRecord.objects.exists()


def test_paper_consent_needs_a_responsible_guardian_and_a_past_date(
    purposes: dict[str, ConsentPurpose], teacher: User, parent: User, stepparent: User, parent_5a: User,
    emma: Pupil) -> None:
    for guardian in (stepparent, parent_5a):
        with pytest.raises(ValidationError):
            actions.record_paper(teacher, guardian, emma, PHOTOS, "granted", date(2025, 9, 1))
    with pytest.raises(ValidationError):
        actions.record_paper(teacher, parent, emma, PHOTOS, "granted",
                             timezone.localdate() + timedelta(days=1))
    assert not ConsentRecord.objects.exists()


def test_request_consent_from_a_class(purposes: dict[str, ConsentPurpose], teacher: User,
                                      class_4b: SchoolClass) -> None:
    request = actions.request_consent(teacher, class_4b, PHOTOS)
    assert actions.request_consent(teacher, class_4b, PHOTOS) == request
    assert ConsentRequest.objects.count() == 1
    assert Record.objects.filter(kind="consent.requested").count() == 1


def test_request_consent_refused_for_other_staff(purposes: dict[str, ConsentPurpose], teacher_5a: User,
                                                 dpo: User, parent: User, class_4b: SchoolClass) -> None:
    for user in (teacher_5a, dpo, parent):
        with pytest.raises(PermissionDenied):
            actions.request_consent(user, class_4b, PHOTOS)
    assert not ConsentRequest.objects.exists()


def test_the_purposes_are_created_once(school: School, purposes: dict[str, ConsentPurpose]) -> None:
    assert set(purposes) == {consent.PARTICIPATION, consent.PHOTOS_CLASS,
                             consent.PHOTOS_TOGETHER, consent.PHOTOS_WEBSITE}
    assert actions.ensure_purposes(school) == list(purposes.values())
    assert all(p.forms.count() == 1 for p in purposes.values())


def test_consenting_pupils_answers_like_has_consent_in_bulk(
        purposes: dict[str, ConsentPurpose], parent: User, parent_5a: User, emma: Pupil, mateo: Pupil,
        django_assert_num_queries: DjangoAssertNumQueries) -> None:
    from consent.services import consenting_pupils

    actions.decide(parent, emma, PHOTOS, "granted")
    actions.decide(parent_5a, mateo, PHOTOS, "granted")
    actions.decide(parent_5a, mateo, PHOTOS, "withdrawn")
    with django_assert_num_queries(1):
        assert consenting_pupils([emma.pk, mateo.pk], PHOTOS) == {emma.pk}
    assert consenting_pupils([emma.pk], consent.PHOTOS_TOGETHER) == set()
