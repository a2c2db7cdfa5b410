"""Pure strategy tests: plain snapshots in, a choice out, no database."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from routing.strategies import STRATEGIES, Candidate, LeadSnapshot, Options
from routing.strategies.top_performer import smoothed_rates

LEAD = LeadSnapshot(
    id=1, fields={"language": "pt", "industry": "pet", "company_size": "", "product_interest": ""}
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def reps(n, **kw):
    return [Candidate(rep_id=i, name=f"rep{i}", **kw) for i in range(1, n + 1)]


def run(
    method, eligible, *, state=None, roster=None, unavailable=frozenset(), lead=LEAD, **options
):
    return STRATEGIES[method](
        lead=lead,
        eligible=eligible,
        roster=roster or [c.rep_id for c in eligible],
        unavailable=frozenset(unavailable),
        state=state or {},
        options=Options(**options),
    )


def test_registry_has_every_method():
    assert set(STRATEGIES) == {
        "round_robin",
        "weighted",
        "load_balanced",
        "top_performer",
        "territory",
        "skills",
        "direct",
        "quota_fill",
    }


def test_every_method_returns_nobody_for_no_candidates():
    for method in STRATEGIES:
        assert run(method, [], roster=[1]).rep_id is None


def test_round_robin_cycles_through_the_roster():
    state, got = {}, []
    for _ in range(7):
        choice = run("round_robin", reps(3), state=state)
        state = choice.state
        got.append(choice.rep_id)
    assert got == [1, 2, 3, 1, 2, 3, 1]


def test_round_robin_does_not_mutate_the_state_it_is_given():
    state = {"last": 1, "owed": []}
    run("round_robin", reps(3), state=state)
    assert state == {"last": 1, "owed": []}


def test_round_robin_keep_turn_serves_a_returning_rep_first():
    everyone = reps(3)
    # Rep 2 is away when their turn comes: rep 3 is served and rep 2 is owed.
    c = run(
        "round_robin",
        [everyone[0], everyone[2]],
        state={"last": 1},
        roster=[1, 2, 3],
        unavailable={2},
        keep_turn=True,
    )
    assert c.rep_id == 3 and c.state["owed"] == [2]
    # Back: rep 2 gets the next lead, and the pointer stays after rep 3.
    c = run("round_robin", everyone, state=c.state, keep_turn=True)
    assert c.rep_id == 2 and c.state["owed"] == [] and c.state["last"] == 3
    c = run("round_robin", everyone, state=c.state, keep_turn=True)
    assert c.rep_id == 1


def test_round_robin_without_keep_turn_the_turn_is_lost():
    everyone = reps(3)
    c = run(
        "round_robin",
        [everyone[0], everyone[2]],
        state={"last": 1},
        roster=[1, 2, 3],
        unavailable={2},
        keep_turn=False,
    )
    assert c.rep_id == 3 and c.state["owed"] == []
    c = run("round_robin", everyone, state=c.state, keep_turn=False)
    assert c.rep_id == 1


def test_round_robin_skipped_for_a_cap_is_not_owed():
    everyone = reps(3)
    c = run(
        "round_robin",
        [everyone[0], everyone[2]],
        state={"last": 1},
        roster=[1, 2, 3],
        keep_turn=True,
    )
    assert c.rep_id == 3 and c.state["owed"] == []


def test_round_robin_resumes_in_place_when_the_last_rep_left_the_roster():
    c = run(
        "round_robin", [Candidate(1, "a"), Candidate(3, "c"), Candidate(4, "d")], state={"last": 2}
    )
    assert c.rep_id == 3


def test_weighted_counts_stay_within_one_of_weight_share_over_1000_leads():
    everyone = [
        Candidate(1, "a", weight=5),
        Candidate(2, "b", weight=3),
        Candidate(3, "c", weight=2),
        Candidate(4, "d", weight=1),
    ]
    total_weight = sum(c.weight for c in everyone)
    state, counts = {}, Counter()
    for n in range(1, 1001):
        choice = run("weighted", everyone, state=state)
        state = choice.state
        counts[choice.rep_id] += 1
        for c in everyone:  # every prefix, not just the end
            assert abs(counts[c.rep_id] - n * c.weight / total_weight) <= 1


def test_weighted_new_rep_joins_at_current_position_without_a_flood():
    old = [Candidate(1, "a", weight=1), Candidate(2, "b", weight=1)]
    state = {}
    for _ in range(500):
        state = run("weighted", old, state=state).state
    before = dict(state["current"])
    newcomer = Candidate(3, "c", weight=1)
    counts = Counter()
    for _ in range(30):
        choice = run("weighted", old + [newcomer], state=state)
        state = choice.state
        counts[choice.rep_id] += 1
    assert counts[3] == 10  # a fair third, not 500 catch-up leads
    assert set(before) <= set(state["current"])


def test_weighted_removing_a_rep_keeps_the_others_weights():
    everyone = reps(3)
    state = {}
    for _ in range(4):
        state = run("weighted", everyone, state=state).state
    kept = {k: v for k, v in state["current"].items() if k != "3"}
    after = run("weighted", everyone[:2], state=state, roster=[1, 2]).state
    assert "3" not in after["current"]
    # One pick moved the two remaining reps by their weights only.
    assert sum(after["current"].values()) == sum(kept.values())


def test_load_balanced_picks_fewest_open_then_waited_longest():
    a = Candidate(1, "a", open_leads=3)
    b = Candidate(2, "b", open_leads=1, last_assigned_at=T0)
    c = Candidate(3, "c", open_leads=1, last_assigned_at=T0 - timedelta(hours=1))
    assert run("load_balanced", [a, b, c]).rep_id == 3
    d = Candidate(4, "d", open_leads=1, last_assigned_at=None)
    assert run("load_balanced", [a, b, c, d]).rep_id == 4


def test_top_performer_smooths_small_samples():
    lucky = Candidate(1, "lucky", won=1, closed=1)
    steady = Candidate(2, "steady", won=30, closed=100)
    average = Candidate(3, "avg", won=10, closed=100)
    rates = smoothed_rates([lucky, steady, average], min_sample=10)
    assert rates[2] > rates[1]
    assert run("top_performer", [lucky, steady, average], min_sample=10).rep_id == 2


def test_top_performer_tiers_send_big_leads_to_the_best_reps():
    best = Candidate(1, "best", won=50, closed=100)
    good = Candidate(2, "good", won=30, closed=100)
    ok = Candidate(3, "ok", won=10, closed=100)
    team = [best, good, ok]
    big = LeadSnapshot(id=1, fields={}, estimated_value=Decimal("60000"))
    mid = LeadSnapshot(id=2, fields={}, estimated_value=Decimal("20000"))
    small = LeadSnapshot(id=3, fields={}, estimated_value=None)
    tiers = (50000, 10000)
    assert run("top_performer", team, lead=big, value_tiers=tiers).rep_id == 1
    assert run("top_performer", team, lead=mid, value_tiers=tiers).rep_id == 2
    assert run("top_performer", team, lead=small, value_tiers=tiers).rep_id == 3


def test_territory_prefers_the_most_specific_owner():
    lead = LeadSnapshot(id=1, fields={}, territories={10: 1, 20: 2})  # Brazil, São Paulo
    country = Candidate(1, "country", territory_ids=frozenset({10}))
    state = Candidate(2, "state", territory_ids=frozenset({20}), open_leads=5)
    elsewhere = Candidate(3, "elsewhere", territory_ids=frozenset({30}))
    assert run("territory", [country, state, elsewhere], lead=lead).rep_id == 2
    assert run("territory", [elsewhere], lead=lead).rep_id is None


def test_skills_scores_overlap_of_the_rules_criteria():
    both = Candidate(1, "both", languages=frozenset({"pt"}), industries=frozenset({"pet"}))
    lang = Candidate(2, "lang", languages=frozenset({"pt"}))
    assert run("skills", [lang, both]).rep_id == 1
    # On language alone both score 1/1: the tie goes to the lighter load, then to whoever
    # waited longest, then to the lower id.
    choice = run("skills", [lang, both], skills=("language",))
    assert choice.rep_id == 1 and choice.reason == "Best skills match: 1/1 (language)"
    busy = Candidate(1, "both", languages=frozenset({"pt"}), open_leads=3)
    assert run("skills", [busy, lang], skills=("language",)).rep_id == 2
    served = Candidate(
        1, "both", languages=frozenset({"pt"}), last_assigned_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert run("skills", [served, lang], skills=("language",)).rep_id == 2


def test_direct_picks_the_named_rep_only_if_eligible():
    assert run("direct", reps(3), direct_rep_id=2).rep_id == 2
    assert run("direct", reps(1), direct_rep_id=2).rep_id is None
