"""Factories for routing tests (kept apart from tests/factories.py, which other branches
edit)."""

import factory

from pools.lifecycle import LeadState
from routing.models import RoutingRule
from tests.factories import LeadFactory


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rule {n}")
    priority = factory.Sequence(lambda n: n + 1)
    conditions = factory.LazyFunction(list)

    @factory.post_generation
    def rep_list(self, create, extracted, **kwargs):
        if create and extracted:
            self.reps.set(extracted)


def screened_lead(**fields):
    return LeadFactory(status=LeadState.SCREENED, **fields)
