"""A new installation gets its school and first admin from the command line."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Role, School, User


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("create_school", *args, stdout=out)
    return out.getvalue()


def link_in(output: str) -> str:
    match = re.search(r"https://chat\.example/invite/([\w-]+)/", output)
    assert match, output
    return f"/invite/{match.group(1)}/"


@pytest.mark.django_db
def test_the_first_admin_sets_a_password_through_the_printed_link(client: Client) -> None:
    output = run("De Regenboog", "--slug", "regenboog", "--admin", "head",
                 "--url", "https://chat.example/")
    school = School.objects.get(slug="regenboog")
    admin = User.objects.get(username="head")
    assert (admin.school, admin.role, admin.is_active) == (school, Role.ADMIN, False)
    page = client.get(link_in(output))
    assert page.status_code == 200
    response = client.post(link_in(output), {"new_password1": "a-long-school-secret-7",
                                             "new_password2": "a-long-school-secret-7"})
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.is_active and admin.check_password("a-long-school-secret-7")


@pytest.mark.django_db
def test_running_it_again_changes_nothing_and_issues_no_link() -> None:
    run("De Regenboog", "--slug", "regenboog", "--admin", "head", "--url", "https://chat.example")
    again = run("De Regenboog", "--slug", "regenboog", "--admin", "head", "--url", "https://chat.example")
    assert "no new link" in again and "/invite/" not in again
    assert School.objects.count() == 1 and User.objects.filter(username="head").count() == 1


@pytest.mark.django_db
def test_a_username_of_another_school_or_role_is_refused(school: School, parent: User) -> None:
    with pytest.raises(CommandError, match="another school"):
        run("De Regenboog", "--slug", "regenboog", "--admin", parent.username)
    with pytest.raises(CommandError, match="not an admin"):
        run(school.name, "--slug", school.slug, "--admin", parent.username)
