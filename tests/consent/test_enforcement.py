"""The seams other apps hang on consent_changed, driven through the consent actions:
participation lets a young pupil into the class chat and withdrawal takes them out."""

from __future__ import annotations

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

import consent
from accounts.models import Pupil, Role, School, SchoolClass, User
from consent import actions
from consent.models import ConsentPurpose
from messaging.actions.classes import sync_class_conversation
from messaging.models import Conversation, Membership
from tests.factories import UserFactory


@pytest.fixture
def emma_account(school: School, emma: Pupil) -> User:
    school.pupil_accounts = True
    school.save()
    emma.user = UserFactory(username="emma", role=Role.PUPIL, school=school)
    emma.save()
    return emma.user


def _in_class_chat(user: User, school_class: SchoolClass) -> bool:
    return Membership.objects.filter(
        conversation__school_class=school_class, conversation__kind=Conversation.Kind.CLASS,
        user=user, ended_at__isnull=True,
    ).exists()


def test_participation_consent_lets_a_young_pupil_in_and_withdrawal_takes_them_out(
    purposes: dict[str, ConsentPurpose], parent: User, emma: Pupil, emma_account: User, class_4b: SchoolClass,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    sync_class_conversation(class_4b)
    assert not _in_class_chat(emma_account, class_4b)  # 9 years old, no consent yet
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide(parent, emma, consent.PARTICIPATION, "granted")
    assert _in_class_chat(emma_account, class_4b)
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide(parent, emma, consent.PARTICIPATION, "withdrawn")
    assert not _in_class_chat(emma_account, class_4b)
    assert _in_class_chat(parent, class_4b)  # the parent stays
