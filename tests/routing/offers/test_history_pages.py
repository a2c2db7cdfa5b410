"""A lead's offer history on its pages: "Why this rep?" and the timeline show every offer —
who it went to, in which step, who accepted, declined (and why) or let it expire, and when;
managers see every recipient, a rep their own line. Query counts do not grow with it."""

import pytest

from pools.lifecycle import LeadState
from pools.models import Lead
from pools.services import lead_transition
from routing.engine import lead_route
from routing.models import Offer, RoutingRule
from routing.offers.services import offer_accept, offer_decline, offer_expire
from tests.factories import make_manager, make_rep
from tests.routing_factories import RuleFactory, screened_lead

from .conftest import online

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(team):
    a = make_rep(team=team, user__first_name="Alma", user__last_name="Ramos")
    b = make_rep(team=team, user__first_name="Bruno", user__last_name="Lima")
    online(a, b)
    return a, b, make_manager(teams=[team])


def _shotgun_won(team, a, b):
    """Offered to A and B; B declines ("On a call"), A accepts."""
    RuleFactory(
        team=team, name="Hot referrals", action=RoutingRule.Action.OFFER, offer_method="shotgun"
    )
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    offer = Offer.objects.get(lead=lead)
    offer_decline(offer_id=offer.pk, user=b, reason="On a call")
    offer_accept(offer_id=offer.pk, user=a)
    return lead


def _sequential(team, reps, *, expiries):
    """A sequential offer that expires `expiries` times (each a step), left open."""
    RuleFactory(
        team=team, action=RoutingRule.Action.OFFER, offer_method="sequential", offer_passes=3
    )
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    for _ in range(expiries):
        offer = Offer.objects.get(lead=lead, state="open")
        offer_expire(offer_id=offer.pk, now=offer.expires_at)
    return lead


def test_why_this_rep_shows_a_manager_every_recipients_answer(team, cast, client_for):
    a, b, manager = cast
    lead = _shotgun_won(team, a, b)
    html = client_for(manager).get(f"/routing/leads/{lead.pk}/why/").content.decode()
    assert 'id="offer-history"' in html
    assert "Offered to 2 reps for 60 s by “Hot referrals”; taken by Alma Ramos." in html
    assert "Bruno Lima" in html and "declined" in html and "“On a call”" in html
    assert "accepted" in html and "Accepted" in html  # A's answer, the offer's end


def test_a_rep_sees_their_own_line_of_the_history_and_no_colleagues(team, cast, client_for):
    a, b, _ = cast
    lead = _shotgun_won(team, a, b)
    for url in (f"/routing/leads/{lead.pk}/why/", f"/leads/{lead.pk}/"):
        html = client_for(a).get(url).content.decode()
        assert "Alma Ramos" in html and "Live offer" in html
        assert "Bruno Lima" not in html and "On a call" not in html, url
        assert "1 other rep; details are visible to managers." in html


def test_the_timeline_places_each_offer_step_among_the_leads_events(team, cast, client_for):
    a, b, manager = cast
    lead = _sequential(team, [a, b], expiries=2)
    html = client_for(manager).get(f"/leads/{lead.pk}/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert timeline.count('class="tl-extra"') == 3  # three steps: expired, expired, open
    assert timeline.count(">Expired</span>") == 2 and timeline.count(">Open</span>") == 1
    assert "step 3 of 6" in timeline and "no answer yet" in timeline
    # Newest first, as the events: the open step above the first "moved on" event.
    assert timeline.index(">Open</span>") < timeline.index("Live offer moved on")


def test_a_withdrawn_offer_says_why_on_the_timeline(team, cast, client_for):
    a, b, manager = cast
    RuleFactory(team=team, action=RoutingRule.Action.OFFER, offer_method="shotgun")
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    lead_transition(
        lead=Lead.objects.get(pk=lead.pk),
        to=LeadState.SKIMMING,
        actor=manager,
        reason="Pulled back to the skim queue",
    )
    html = client_for(manager).get(f"/leads/{lead.pk}/").content.decode()
    assert ">Withdrawn</span>" in html and "withdrawn: Pulled back to the skim queue" in html


def test_the_lead_page_and_why_this_rep_cost_the_same_queries_for_one_offer_or_many(
    team, cast, client_for, queries_of
):
    a, b, manager = cast
    client = client_for(manager)
    one, many = _sequential(team, [a, b], expiries=0), _sequential(team, [a, b], expiries=4)
    assert Offer.objects.filter(lead=many).count() == 5
    for url in ("/leads/{}/", "/routing/leads/{}/why/"):
        counts = [
            queries_of(lambda lead=lead, url=url: client.get(url.format(lead.pk)))
            for lead in (one, many)
        ]
        assert counts[0] == counts[1], (url, counts)


def test_a_lead_never_offered_reads_no_offers_for_its_timeline(team, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lead = screened_lead(team=team)
    lead_route(lead=lead)  # no rule: the team's default placement
    client = client_for(make_manager(teams=[team]))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/leads/{lead.pk}/").status_code == 200
    assert not [q for q in ctx.captured_queries if "routing_offer" in q["sql"]]
