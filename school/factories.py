import factory
from factory.django import DjangoModelFactory

from .models import Branch, Region, User


class RegionFactory(DjangoModelFactory):
    code = factory.Sequence(lambda n: f"R{n:03d}")
    name = factory.Sequence(lambda n: f"Регион {n}")

    class Meta:
        model = Region
        django_get_or_create = ("code",)


class BranchFactory(DjangoModelFactory):
    region = factory.SubFactory(RegionFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    name = factory.LazyAttribute(lambda o: f"Первичное отделение № {o.number}")

    class Meta:
        model = Branch
        django_get_or_create = ("region", "number")


class UserFactory(DjangoModelFactory):
    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="ru_RU")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    branch = factory.SubFactory(BranchFactory)
    region = factory.SelfAttribute("branch.region")
    password = factory.django.Password("password")

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True
