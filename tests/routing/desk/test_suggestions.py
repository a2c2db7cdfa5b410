"""The desk's suggestions are the engine's own verdicts and choice, run in preview."""

import pytest

from accounts.models import RepProfile
from pools.lifecycle import LeadState
from pools.models import Lead
from routing.desk.suggestions import AFTER, STAND_IN_NAME, lead_suggestions
from routing.engine import lead_route
from routing.models import RoutingDecision, RoutingRule
from tests.factories import LeadFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db
M = RoutingRule.Method


def _cast(team):
    reps = [make_rep(team=team, weight=w, languages=["pt"]) for w in (1, 3, 2)]
    make_rep(team=team, availability=RepProfile.Availability.AWAY)
    make_rep(team=team, max_per_day=0)
    make_rep(team=team, languages=["de"])
    # Different loads, so load balancing has an order to keep.
    for i, rep in enumerate(reps):
        for _ in range(i):
            LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team)
    return reps


@pytest.mark.parametrize(
    "method", [M.LOAD_BALANCED, M.ROUND_ROBIN, M.WEIGHTED, M.SKILLS, M.TOP_PERFORMER]
)
def test_suggestions_equal_the_engines_eligibility_and_choice_lead_after_lead(team, method):
    _cast(team)
    RuleFactory(team=team, method=method, require_language=True)
    for _ in range(6):
        lead = screened_lead(team=team, language="pt")
        suggested = lead_suggestions(lead=lead)
        lead_route(lead=lead)
        decision = RoutingDecision.objects.get(lead=lead)
        routed = {
            c["rep"]: (c["eligible"], c["reason"])
            for c in decision.details["steps"][0]["candidates"]
        }
        shown = {
            s.rep_id: (s.eligible, s.reason if not s.eligible else "Eligible")
            for s in suggested.reps
        }
        assert shown == routed
        assert Lead.objects.get(pk=lead.pk).owner_id == suggested.reps[0].rep_id
        assert suggested.reps[0].rank == 1


def test_only_the_first_reason_stands_alone_the_others_say_they_follow(team):
    """Every rep ranked by round robin once read "is next in turn"."""
    reps = [make_rep(team=team) for _ in range(3)]
    RuleFactory(team=team, method=M.ROUND_ROBIN)
    ranked = lead_suggestions(lead=screened_lead(team=team)).reps
    assert [s.rep_id for s in ranked] == [r.pk for r in reps]
    assert ranked[0].reason == f"Round robin: {reps[0].display_name} is next in turn"
    assert [s.reason for s in ranked[1:]] == [
        f"{AFTER}Round robin: {r.display_name} is next in turn" for r in reps[1:]
    ]


def test_excluded_reps_come_last_with_the_engines_reason(team):
    _cast(team)
    lead = LeadFactory(status=LeadState.SKIMMING, team=team, language="pt")
    suggested = lead_suggestions(lead=lead)
    assert suggested.rule_name == STAND_IN_NAME  # no assigning rule matches
    eligible = [s.eligible for s in suggested.reps]
    assert eligible == sorted(eligible, reverse=True) and eligible.count(True) == 4
    reasons = {s.reason for s in suggested.reps if not s.eligible}
    assert reasons == {"Status is “Away”", "Cap reached: 0 of 0 leads this day"}
    # Load balanced: fewest open leads first.
    opens = [s.open_leads for s in suggested.reps if s.eligible]
    assert opens == sorted(opens)


def test_a_rule_of_another_team_does_not_suggest_its_reps(team, other_team):
    """A lead of this team that another team's rule would take (the rules changed since it
    arrived) was shown with that team's reps, whom its manager may not give it to."""
    mine = make_rep(team=team)
    make_rep(team=other_team)
    RuleFactory(team=other_team, method=M.ROUND_ROBIN)
    lead = LeadFactory(status=LeadState.SKIMMING, team=team)
    suggested = lead_suggestions(lead=lead)
    assert suggested.rule_name == STAND_IN_NAME
    assert [s.rep_id for s in suggested.reps] == [mine.pk]
    # A rule without a team that lists reps: only the lead's team's are offered.
    theirs = make_rep(team=other_team)
    RoutingRule.objects.all().delete()
    listed = RuleFactory(team=None, target=RoutingRule.Target.REPS, method=M.ROUND_ROBIN)
    listed.reps.set([theirs, mine])
    suggested = lead_suggestions(lead=lead)
    assert suggested.rule_name == listed.name
    assert [s.rep_id for s in suggested.reps] == [mine.pk]


def test_suggestions_take_the_same_queries_for_5_and_25_reps(team, queries_of):
    lead = LeadFactory(status=LeadState.SKIMMING, team=team)
    for _ in range(5):
        make_rep(team=team)
    lead_suggestions(lead=lead)  # the rules' cache warm, whatever ran before
    few = queries_of(lambda: lead_suggestions(lead=lead))
    for _ in range(20):
        make_rep(team=team)
    assert len(lead_suggestions(lead=lead).reps) == 25
    assert queries_of(lambda: lead_suggestions(lead=lead)) == few
