"""Set up a school in the database of ``DATABASE_URL`` for a test that owns that database
(tests/fault/postgres.py): ``python -m tests.fault.private_school`` migrates it, creates a
school with ``create_school``, a teacher and a parent in one class conversation, and prints
their session keys and the conversation's id as JSON."""

from __future__ import annotations

import json
import os

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolchat.settings")
    django.setup()
    # Django must be set up before the models (and the factories) are imported.
    from django.core.management import call_command

    from accounts.actions.schools import create_school
    from accounts.models import Role, School
    from messaging.actions import membership
    from messaging.models import Conversation
    from tests.factories import PupilFactory, SchoolClassFactory, UserFactory, enrol
    from tests.fault.chat_client import session_cookie

    call_command("migrate", "--noinput", verbosity=0)
    school, _created = create_school("Restart Primary", slug="restart-primary")
    School.objects.filter(pk=school.pk).update(post_burst=10_000, posts_per_minute=10_000)
    school.refresh_from_db()
    class_4b = SchoolClassFactory(school=school, name="4B")
    admin = UserFactory(username="admin", role=Role.ADMIN, school=school)
    teacher = UserFactory(username="teacher", display_name="Ms de Vries", role=Role.TEACHER,
                          school=school)
    class_4b.staff.add(teacher)
    parent = UserFactory(username="parent", display_name="Anna Jansen", role=Role.PARENT,
                         school=school)
    enrol(PupilFactory(school=school, first_name="Emma"), class_4b, parent)
    conversation = Conversation.objects.create(school=school, kind=Conversation.Kind.CLASS,
                                               school_class=class_4b)
    membership.add_member(conversation, teacher, actor=admin, manager=True)
    membership.add_member(conversation, parent, actor=admin)
    print(json.dumps({"conversation": conversation.pk, "teacher": session_cookie(teacher),
                      "parent": session_cookie(parent)}))


if __name__ == "__main__":
    main()
