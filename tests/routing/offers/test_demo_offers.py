"""The demo shows offers: a Referral lead with the Enterprise reps online is offered to
them all at once; a Direct traffic one goes to one Inbound rep at a time."""

import pytest

from pools.lifecycle import LeadState
from pools.models import Lead, LeadSource
from routing.demo import demo_rules_ensure
from routing.engine import lead_route
from routing.models import Offer
from tests.factories import TeamFactory, make_rep
from tests.routing_factories import screened_lead

from .conftest import online

pytestmark = pytest.mark.django_db


def test_the_demo_offers_referrals_by_shotgun_and_direct_traffic_in_turn():
    inbound, enterprise = TeamFactory(name="Inbound Brazil"), TeamFactory(name="Enterprise")
    inbound_reps = [make_rep(team=inbound) for _ in range(3)]
    enterprise_reps = [make_rep(team=enterprise) for _ in range(2)]
    online(*inbound_reps, *enterprise_reps)
    demo_rules_ensure()

    referral = screened_lead(source=LeadSource.objects.create(name="Referral", slug="referral"))
    lead_route(lead=referral)
    offer = Offer.objects.get(lead=referral)
    assert offer.method == "shotgun"
    assert sorted(offer.recipient_ids) == sorted(r.pk for r in enterprise_reps)

    direct = screened_lead(source=LeadSource.objects.create(name="Direct", slug="direct_traffic"))
    lead_route(lead=direct)
    offer = Offer.objects.get(lead=direct)
    assert offer.method == "sequential" and len(offer.recipient_ids) == 1
    assert offer.recipient_ids[0] in {r.pk for r in inbound_reps}
    assert Lead.objects.get(pk=direct.pk).status == LeadState.OFFERED
