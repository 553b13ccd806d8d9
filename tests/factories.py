"""Test data built through the real actions where an action exists (membership, messages)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import factory

from accounts.models import Enrolment, Guardianship, Pupil, Role, School, SchoolClass, User

PASSWORD = "correct horse battery staple"


class SchoolFactory(factory.django.DjangoModelFactory[School]):
    if TYPE_CHECKING:  # calling a factory builds and saves the model
        def __new__(cls, *args: Any, **kwargs: Any) -> School: ...  # type: ignore[misc]

    class Meta:
        model = School
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"School {n}")
    slug = factory.Sequence(lambda n: f"school-{n}")
    require_staff_2fa = False


class UserFactory(factory.django.DjangoModelFactory[User]):
    if TYPE_CHECKING:  # calling a factory builds and saves the model
        def __new__(cls, *args: Any, **kwargs: Any) -> User: ...  # type: ignore[misc]

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    phone = "+31 6 1234 5678"
    role = Role.PARENT
    school = factory.SubFactory(SchoolFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class SchoolClassFactory(factory.django.DjangoModelFactory[SchoolClass]):
    if TYPE_CHECKING:  # calling a factory builds and saves the model
        def __new__(cls, *args: Any, **kwargs: Any) -> SchoolClass: ...  # type: ignore[misc]

    class Meta:
        model = SchoolClass
        django_get_or_create = ("school", "name")

    school = factory.SubFactory(SchoolFactory)
    name = "4B"


class PupilFactory(factory.django.DjangoModelFactory[Pupil]):
    if TYPE_CHECKING:  # calling a factory builds and saves the model
        def __new__(cls, *args: Any, **kwargs: Any) -> Pupil: ...  # type: ignore[misc]

    class Meta:
        model = Pupil

    school = factory.SubFactory(SchoolFactory)
    ref = factory.Sequence(lambda n: f"P{n:04d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = date(2016, 5, 1)


def enrol(pupil: Pupil, school_class: SchoolClass, *guardians: User) -> Pupil:
    Enrolment.objects.create(pupil=pupil, school_class=school_class, starts_on=date(2025, 9, 1))
    for guardian in guardians:
        Guardianship.objects.create(guardian=guardian, pupil=pupil, relationship="parent")
    return pupil
