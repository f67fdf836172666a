from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from huiying.orgs.models import Membership, Unit
from huiying.orgs.services import unit_create


class UnitFactory(DjangoModelFactory[Unit]):
    """Builds units through the service, so the materialised path is always right."""

    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"unit-{n}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = Unit.Kind.CITY_DEPARTMENT
    office = ""
    parent = None

    @classmethod
    def _create(cls, model_class: type[Unit], *args: object, **kwargs: object) -> Unit:
        return unit_create(**kwargs)  # type: ignore[arg-type]


class UserFactory(DjangoModelFactory):  # type: ignore[type-arg]
    class Meta:
        model = "accounts.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("pass-1234-word")
    is_active = True


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Membership.Role.HANDLER
