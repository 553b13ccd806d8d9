"""The school admin's absence settings: the cut-off time and each class's class teacher, one
record per save; a teacher who is not on the class's staff cannot be its class teacher."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from absence import actions
from absence.models import AbsenceSettings, ClassTeacher
from accounts.access import can
from archive.models import Record

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_sets_the_cutoff_and_the_class_teacher(world: dict[str, Any]) -> None:
    admin, class_4b = world["admin"], world["class_4b"]
    page = _client(admin).get(reverse("absence:settings"))
    assert page.status_code == 200 and "Class teacher of 4B" in page.content.decode()
    response = _client(admin).post(reverse("absence:settings"), {
        "cutoff": "08:45", f"class_{class_4b.pk}": world["subject_teacher"].pk})
    assert response.status_code == 302
    assert AbsenceSettings.objects.get(school=world["school"]).cutoff == time(8, 45)
    assert ClassTeacher.objects.get(school_class=class_4b).user == world["subject_teacher"]
    assert actions.cutoff_of(world["school"]) == time(8, 45)
    assert Record.objects.filter(kind="absence.settings_changed").count() == 2  # and world's


def test_only_the_classs_staff_can_be_its_class_teacher(world: dict[str, Any]) -> None:
    class_4b, outsider = world["class_4b"], world["office"]
    response = _client(world["admin"]).post(reverse("absence:settings"), {
        "cutoff": "08:45", f"class_{class_4b.pk}": outsider.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    with pytest.raises(ValidationError, match="must be on its staff"):
        actions.change_settings(world["admin"], world["school"], cutoff=time(8),
                                class_teachers={class_4b: outsider})
    assert ClassTeacher.objects.get(school_class=class_4b).user == world["teacher"]


def test_without_a_class_teacher_everyone_on_the_staff_sees_why(world: dict[str, Any]) -> None:
    class_4b = world["class_4b"]
    actions.change_settings(world["admin"], world["school"], cutoff=time(8, 30),
                            class_teachers={class_4b: None})
    today = actions.school_today(world["school"])
    [report] = actions.report_absence(world["parent"], [world["emma"]], actions.Absence(
        starts_on=today, ends_on=today, category="ill"))
    assert can(world["subject_teacher"], "absence.view_reason", report)
    assert not can(world["parent_5a"], "absence.view", report)


def test_a_bad_time_gets_a_sentence(world: dict[str, Any]) -> None:
    response = _client(world["admin"]).post(reverse("absence:settings"), {"cutoff": "25:99"})
    assert response.status_code == 400 and "Enter a valid time." in response.content.decode()
