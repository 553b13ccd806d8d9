"""The database itself refuses to change or remove a consent record, on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

import consent
from accounts.models import Pupil, School, User
from consent import actions
from consent.models import ConsentPurpose, ConsentRecord


@pytest.fixture
def record(purposes: dict[str, ConsentPurpose], parent: User, emma: Pupil) -> ConsentRecord:
    return actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")


def _raw(sql: str, *params: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_raw_update_of_a_consent_record_fails(record: ConsentRecord) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE consent_consentrecord SET decision = 'refused' WHERE id = %s", record.pk)
    record.refresh_from_db()
    assert record.decision == "granted"


def test_a_raw_delete_of_a_consent_record_fails(record: ConsentRecord) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM consent_consentrecord WHERE id = %s", record.pk)
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def test_the_orm_cannot_update_or_delete_either(record: ConsentRecord) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentRecord.objects.filter(pk=record.pk).update(decision="withdrawn")
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentRecord.objects.filter(pk=record.pk).delete()
    assert ConsentRecord.objects.get(pk=record.pk).decision == "granted"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_a_truncate_fails_on_postgresql(record: ConsentRecord) -> None:
    with connection.cursor() as cursor:  # fire the deferred FK checks of the setup first
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("TRUNCATE consent_consentrecord CASCADE")
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def test_a_new_decision_is_a_new_row(record: ConsentRecord, parent: User, emma: Pupil) -> None:
    actions.decide(parent, emma, consent.PHOTOS_CLASS, "withdrawn")
    assert list(ConsentRecord.objects.order_by("pk").values_list("decision", flat=True)) == [
        "granted", "withdrawn"
    ]


@pytest.mark.django_db(transaction=True)
def test_emptying_the_whole_database_still_works(school: School, parent: User, emma: Pupil) -> None:
    """The test runner's flush (after this test) gets through; nothing else does."""
    actions.ensure_purposes(school)
    actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    with pytest.raises(DatabaseError):
        _raw("DELETE FROM consent_consentrecord")
    assert ConsentRecord.objects.count() == 1
