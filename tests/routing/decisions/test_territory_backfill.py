"""The migration that gives leads routed before Lead.territory_ids existed the territories
their latest decision matched."""

import importlib

import pytest
from django.db import connection

from pools.models import Lead
from routing.engine import lead_route
from routing.models import RoutingDecision
from tests.factories import TerritoryFactory
from tests.routing_factories import screened_lead

pytestmark = pytest.mark.django_db

BACKFILL = importlib.import_module("routing.migrations.0012_lead_territory_ids_backfill").BACKFILL


def test_the_backfill_takes_each_leads_latest_decisions_territories(team):
    brazil = TerritoryFactory(countries=["BR"], states=[])
    sao_paulo = TerritoryFactory(countries=[], states=["SP"])
    routed, other = (
        screened_lead(team=team, country="BR", state="SP"),
        screened_lead(team=team, country="PT", state=""),
    )
    lead_route(lead=routed)
    lead_route(lead=other)
    # As before the column: empty. An older decision of the same lead matched less.
    Lead.objects.update(territory_ids=[])
    latest = RoutingDecision.objects.get(lead=routed)
    older = RoutingDecision.objects.create(
        lead=routed,
        outcome=latest.outcome,
        details={"territories": [brazil.pk]},
        created_at=latest.created_at.replace(year=2020),
    )
    assert older.pk > latest.pk  # the latest is the latest by time, not by id
    with connection.cursor() as cursor:
        cursor.execute(BACKFILL)
    assert Lead.objects.get(pk=routed.pk).territory_ids == sorted([brazil.pk, sao_paulo.pk])
    assert Lead.objects.get(pk=other.pk).territory_ids == []
