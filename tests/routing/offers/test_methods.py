"""Offer methods are pure: snapshots in, a plan out — no database."""

from datetime import UTC, datetime

from routing.offers.methods import OFFER_METHODS, OfferOptions
from routing.offers.methods.shark_tank import smoothed_speeds
from routing.strategies.base import Candidate, LeadSnapshot

LEAD = LeadSnapshot(id=1, fields={})


def reps(*ids, **facts):
    return [
        Candidate(rep_id=i, name=f"R{i}", **{k: v[n] for k, v in facts.items()})
        for n, i in enumerate(ids)
    ]


def plan(method, eligible, *, roster=None, state=None, **options):
    return OFFER_METHODS[method](
        lead=LEAD,
        eligible=eligible,
        roster=roster if roster is not None else [c.rep_id for c in eligible],
        state=state or {},
        options=OfferOptions(**options),
    )


def steps(p):
    return [s.rep_ids for s in p.steps]


def test_every_method_plans_nothing_without_anyone_eligible_and_online():
    for method in OFFER_METHODS:
        p = plan(method, [])
        assert p.steps == () and p.reason == "Nobody online and eligible"


def test_shotgun_offers_everyone_at_once_for_one_step():
    p = plan("shotgun", reps(1, 2, 3), seconds=45)
    assert steps(p) == [(1, 2, 3)] and p.steps[0].seconds == 45


def test_sequential_walks_the_roster_one_rep_a_step_and_reverses_on_the_next_pass():
    p = plan("sequential", reps(1, 2, 3), passes=3, seconds=20)
    assert steps(p) == [(1,), (2,), (3,), (3,), (2,), (1,), (1,), (2,), (3,)]
    assert {s.seconds for s in p.steps} == {20}
    assert p.steps[3].label == "Pass 2, rep 1 of 3"
    assert p.state == {"start": 1}


def test_sequential_start_rotates_per_lead_over_the_roster():
    eligible = reps(1, 2, 3)
    state, starts = {}, []
    for _ in range(4):
        p = plan("sequential", eligible, state=state, passes=1)
        starts.append(p.steps[0].rep_ids[0])
        state = p.state
    assert starts == [1, 2, 3, 1]


def test_sequential_skips_a_rep_not_eligible_now_and_resumes_after_one_who_left():
    # Rep 2 is in the roster but not eligible: the start after 1 is 3.
    p = plan("sequential", reps(1, 3), roster=[1, 2, 3], state={"start": 1}, passes=1)
    assert steps(p) == [(3,), (1,)]
    # The last start (2) left the roster: resume after the highest id below it.
    p = plan("sequential", reps(1, 3, 4), roster=[1, 3, 4], state={"start": 2}, passes=1)
    assert steps(p)[0] == (3,)


def test_cascade_offers_in_descending_smoothed_conversion():
    eligible = reps(1, 2, 3, won=[1, 8, 4], closed=[10, 10, 10])
    p = plan("cascade", eligible, seconds=30, min_sample=1)
    assert steps(p) == [(2,), (3,), (1,)]
    assert p.steps[0].label == "Rank 1 of 3"


def test_waves_widen_tier_by_tier_in_performance_order():
    eligible = reps(1, 2, 3, 4, 5, 6, won=[6, 5, 4, 3, 2, 1], closed=[10] * 6)
    p = plan("waves", eligible, waves=3, min_sample=1)
    assert steps(p) == [(1, 2), (1, 2, 3, 4), (1, 2, 3, 4, 5, 6)]


def test_waves_leave_out_a_wave_that_adds_nobody():
    p = plan("waves", reps(1, 2), waves=3)  # three tiers of two reps: one is empty
    assert steps(p) == [(1,), (1, 2)]
    assert [s.label for s in p.steps] == ["Wave 1: tiers 1–2", "Wave 2: tiers 1–3"]


def test_shark_tank_takes_the_n_fastest_by_smoothed_median():
    eligible = reps(1, 2, 3, 4, accept_median=[30.0, 5.0, 12.0, None], accepts=[20, 20, 20, 0])
    p = plan("shark_tank", eligible, shark_size=2, min_sample=5)
    assert steps(p) == [(2, 3)]


def test_shark_tank_gives_reps_without_history_the_groups_median_as_prior():
    eligible = reps(1, 2, 3, accept_median=[4.0, 40.0, None], accepts=[1, 50, 0])
    speeds = smoothed_speeds(eligible, min_sample=5, default=30.0)
    # One lucky 4 s accept is pulled toward the prior (22 s), a newcomer sits on it.
    assert speeds[3] == 22.0
    assert 4.0 < speeds[1] < 22.0 and speeds[2] > 35.0
    # Nobody with history: the default, and the tie goes to whoever waited longest.
    waited = [
        Candidate(rep_id=1, name="a", last_assigned_at=datetime(2026, 1, 2, tzinfo=UTC)),
        Candidate(rep_id=2, name="b", last_assigned_at=None),
    ]
    assert steps(plan("shark_tank", waited, shark_size=1)) == [(2,)]
