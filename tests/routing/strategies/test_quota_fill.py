"""Quota fill, pure: snapshots in, a choice and its reason out, no database."""

from datetime import UTC, datetime, timedelta

from routing.strategies import STRATEGIES, Candidate, LeadSnapshot, Options, QuotaStanding

LEAD = LeadSnapshot(id=1, fields={})
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def rep(rep_id, *quotas, today=0, last=None):
    return Candidate(
        rep_id=rep_id,
        name=f"rep{rep_id}",
        today=today,
        last_assigned_at=last,
        lead_quotas=tuple(QuotaStanding(*q) for q in quotas),
    )


def choose(*eligible, state=None):
    return STRATEGIES["quota_fill"](
        lead=LEAD,
        eligible=list(eligible),
        roster=[c.rep_id for c in eligible],
        unavailable=frozenset(),
        state=state if state is not None else {"untouched": True},
        options=Options(),
    )


def test_the_rep_furthest_behind_by_share_of_target_wins_and_the_reason_says_where():
    # 3 of 20 (15%) is further behind than 2 of 5 (40%), though 2 is fewer leads.
    choice = choose(rep(1, ("week", 5, 2)), rep(2, ("week", 20, 3)), rep(3, ("week", 10, 9)))
    assert choice.rep_id == 2
    assert choice.reason == "Quota fill: furthest behind lead quota: 3 of 20 this week (15%)"
    assert choice.state == {"untouched": True}  # stateless: the state comes back as it was


def test_a_rep_with_a_week_and_a_month_quota_stands_where_furthest_behind():
    # rep1: week 8 of 10 (80%) but month 10 of 40 (25%) → 25%; rep2: week 3 of 10 (30%).
    choice = choose(rep(1, ("week", 10, 8), ("month", 40, 10)), rep(2, ("week", 10, 3)))
    assert choice.rep_id == 1
    assert "10 of 40 this month (25%)" in choice.reason


def test_ties_go_to_fewest_leads_today_then_waited_longest_then_lower_id():
    a, b = rep(1, ("week", 10, 2), today=3), rep(2, ("week", 20, 4), today=1)
    choice = choose(a, b)  # both at 20%
    assert choice.rep_id == 2
    assert choice.reason.endswith("tied with 1 other(s); fewest leads today (1)")
    earlier, later = T0, T0 + timedelta(minutes=5)
    choice = choose(rep(1, ("week", 10, 2), last=later), rep(2, ("week", 10, 2), last=earlier))
    assert choice.rep_id == 2 and choice.reason.endswith("waited longest")
    assert choose(rep(7, ("week", 10, 2)), rep(4, ("week", 10, 2))).rep_id == 4


def test_a_rep_without_a_lead_quota_counts_as_on_target():
    behind, none, past = rep(1, ("week", 10, 9)), rep(2), rep(3, ("week", 10, 12))
    choice = choose(none, behind, past)
    assert choice.rep_id == 1  # 90% is behind; "no quota" is never preferred to behind
    assert choice.reason.endswith("; 1 eligible rep(s) without a lead quota count as on target")
    choice = choose(none, past)  # 120% is past target: the rep without one goes first
    assert choice.rep_id == 2
    assert choice.reason == (
        "Quota fill: no lead quota (counted as on target) and no eligible rep is behind theirs"
    )


def test_nobody_eligible_is_nobody():
    assert choose().rep_id is None


def test_filling_in_turn_brings_everyone_level():
    # What the engine does over a batch: count each lead where it went, choose again.
    standings = {1: [20, 3], 2: [5, 2], 3: [10, 5]}
    for _ in range(15):
        winner = choose(*(rep(i, ("week", t, w)) for i, (t, w) in standings.items())).rep_id
        standings[winner][1] += 1
    shares = {i: w / t for i, (t, w) in standings.items()}
    assert max(shares.values()) - min(shares.values()) <= 0.2
    assert sum(w for _, w in standings.values()) == 10 + 15
