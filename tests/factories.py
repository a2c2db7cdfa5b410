"""factory_boy factories for the usual cast and their leads."""

import factory
from django.contrib.auth.models import Group

from accounts.models import WEEKDAYS, RepProfile, Team, Territory, User
from accounts.roles import Role
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent, LeadSource, Pool

PASSWORD = "pw-for-tests-only"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"Territory {n}")
    countries = factory.LazyFunction(lambda: ["BR"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set([Group.objects.get_or_create(name=Role(r).value)[0] for r in extracted])
        self.save()


class RepProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RepProfile

    user = factory.SubFactory(UserFactory, roles=[Role.REP])
    team = factory.SubFactory(TeamFactory)
    time_zone = "UTC"
    # Always at work, so tests do not depend on the hour they run at.
    working_hours = factory.LazyFunction(lambda: {d: [["00:00", "24:00"]] for d in WEEKDAYS})


def make_rep(*, team=None, **profile_fields) -> User:
    kwargs = {"team": team} if team is not None else {}
    return RepProfileFactory(**kwargs, **profile_fields).user


def make_manager(*, teams=()) -> User:
    user = UserFactory(roles=[Role.MANAGER])
    for team in teams:
        team.managers.add(user)
    return user


class LeadSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadSource
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Source {n}")
    slug = factory.Sequence(lambda n: f"source-{n}")


class PoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pool

    name = factory.Sequence(lambda n: f"Pool {n}")
    slug = factory.Sequence(lambda n: f"pool-{n}")
    team = factory.SubFactory(TeamFactory)


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead in any state; owner/pool must match the state (the database checks)."""

    class Meta:
        model = Lead
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.test")
    phone = factory.Sequence(lambda n: f"+55119{n:08d}")
    company = factory.Faker("company")
    title = "Head of Sales"
    country = "BR"
    status = LeadState.NEW

    @factory.post_generation
    def with_event(self, create, extracted, **kwargs):
        if create:
            LeadEvent.objects.create(lead=self, kind=LeadEvent.Kind.CREATED, to_state=self.status)
