from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User

PASSWORD = "test-password-1234"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")

    @factory.post_generation
    def password(self: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()

    @factory.post_generation
    def groups(self: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.set([Group.objects.get(name=name) for name in extracted])
