"""Each pull restriction blocks with its own message, and lets the claim through once lifted."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import LeadEvent, Pool, SourceRestriction
from pools.pull.claim import (
    ClaimRestricted,
    LeadTaken,
    PoolEmpty,
    PoolUnavailable,
    lead_claim,
    pool_claim_next,
)
from pools.pull.release import lead_release
from tests.factories import LeadFactory, LeadSourceFactory, PoolFactory, TerritoryFactory
from tests.pool_helpers import pooled

pytestmark = pytest.mark.django_db


def _blocked(code, fn):
    with pytest.raises(ClaimRestricted) as exc:
        fn()
    assert exc.value.code == code
    assert exc.value.message
    return exc.value.message


def test_rep_claims_a_pooled_lead_and_owns_it(rep, pool):
    lead = pooled(pool)
    claimed = lead_claim(user=rep, lead_id=lead.pk)
    lead.refresh_from_db()
    assert (lead.status, lead.owner, lead.pool) == (LeadState.ASSIGNED, rep, None)
    assert claimed.pk == lead.pk
    assert lead.events.filter(kind=LeadEvent.Kind.CLAIMED, actor=rep).count() == 1


def test_second_claim_of_same_lead_is_taken(rep, pool, team):
    from tests.factories import make_rep

    lead = pooled(pool)
    lead_claim(user=rep, lead_id=lead.pk)
    with pytest.raises(LeadTaken) as exc:
        lead_claim(user=make_rep(team=team), lead_id=lead.pk)
    assert "just taken" in exc.value.message.lower()


def test_rep_cannot_claim_over_daily_cap(rep, pool):
    profile = rep.rep_profile
    profile.max_claims_per_day = 1
    profile.save()
    first, second = pooled(pool), pooled(pool)
    lead_claim(user=rep, lead_id=first.pk)
    message = _blocked("claim_cap", lambda: lead_claim(user=rep, lead_id=second.pk))
    assert "1 claims today" in message
    profile.max_claims_per_day = 2
    profile.save()
    assert lead_claim(user=rep, lead_id=second.pk).owner == rep


@pytest.mark.parametrize(
    ("zone", "earlier_claim", "counted"),
    [
        # 02:30 UTC is 23:30 of the day before in São Paulo: the same UTC day, not the rep's.
        ("America/Sao_Paulo", datetime(2026, 6, 10, 2, 30, tzinfo=UTC), False),
        # 16:00 UTC the day before is 01:00 today in Tokyo: the rep's day, not UTC's.
        ("Asia/Tokyo", datetime(2026, 6, 9, 16, 0, tzinfo=UTC), True),
    ],
)
def test_the_daily_cap_counts_the_reps_own_day(
    rep, pool, monkeypatch, zone, earlier_claim, counted
):
    noon = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    profile = rep.rep_profile
    profile.time_zone, profile.max_claims_per_day = zone, 1
    profile.save()
    held = LeadFactory(status=LeadState.ASSIGNED, owner=rep, first_touch_at=noon)
    LeadEvent.objects.create(
        lead=held,
        kind=LeadEvent.Kind.CLAIMED,
        from_state=LeadState.POOLED,
        to_state=LeadState.ASSIGNED,
        actor=rep,
        owner=rep,
        created_at=earlier_claim,
    )
    lead = pooled(pool)
    if counted:
        _blocked("claim_cap", lambda: lead_claim(user=rep, lead_id=lead.pk))
    else:
        assert lead_claim(user=rep, lead_id=lead.pk).owner == rep


def test_rep_cannot_claim_over_weekly_cap_from_team(rep, pool, team):
    team.max_claims_per_week = 1
    team.save()
    lead_claim(user=rep, lead_id=pooled(pool).pk)
    pooled(pool)
    message = _blocked("claim_cap", lambda: pool_claim_next(user=rep, pool_id=pool.pk))
    assert "this week" in message
    team.max_claims_per_week = None
    team.save()
    assert pool_claim_next(user=rep, pool_id=pool.pk).owner == rep


def test_rep_with_too_many_untouched_leads_cannot_claim(rep, pool):
    profile = rep.rep_profile
    profile.max_open_untouched = 1
    profile.save()
    held = LeadFactory(status=LeadState.ASSIGNED, owner=rep, assigned_at=timezone.now())
    lead = pooled(pool)
    message = _blocked("untouched", lambda: lead_claim(user=rep, lead_id=lead.pk))
    assert "untouched" in message
    held.first_touch_at = timezone.now()
    held.save()
    assert lead_claim(user=rep, lead_id=lead.pk).owner == rep


def test_update_your_leads_first(rep, pool):
    pool.update_first_hours = 24
    pool.save()
    stale = LeadFactory(
        status=LeadState.ASSIGNED,
        owner=rep,
        assigned_at=timezone.now() - timedelta(hours=30),
        first_touch_at=timezone.now(),
    )
    lead = pooled(pool)
    message = _blocked("update_first", lambda: lead_claim(user=rep, lead_id=lead.pk))
    assert message.startswith("Update your leads first")
    # Dispositioned (contacted) → no longer blocks.
    stale.status = LeadState.CONTACTED
    stale.save()
    assert lead_claim(user=rep, lead_id=lead.pk).owner == rep


def test_source_reserved_for_another_team(rep, pool, other_team):
    source = LeadSourceFactory(name="Partners", slug="partners")
    restriction = SourceRestriction.objects.create(source=source, team=other_team)
    lead = pooled(pool, source=source)
    message = _blocked("source", lambda: lead_claim(user=rep, lead_id=lead.pk))
    assert "reserved" in message
    with pytest.raises(PoolEmpty):
        pool_claim_next(user=rep, pool_id=pool.pk)
    restriction.delete()
    SourceRestriction.objects.create(source=source, user=rep)  # reserved for this rep
    assert lead_claim(user=rep, lead_id=lead.pk).owner == rep


def test_territory_scoped_pool_is_only_for_reps_covering_it(rep, team):
    territory = TerritoryFactory(name="Brazil")
    pool = PoolFactory(team=team, territory=territory)
    lead = pooled(pool)
    with pytest.raises(PoolUnavailable) as exc:
        lead_claim(user=rep, lead_id=lead.pk)
    assert "scope" in exc.value.message
    rep.rep_profile.territories.add(territory)
    assert lead_claim(user=rep, lead_id=lead.pk).owner == rep


def test_rep_of_other_team_cannot_use_pool(other_rep, pool):
    lead = pooled(pool)
    with pytest.raises(PoolUnavailable):
        lead_claim(user=other_rep, lead_id=lead.pk)
    with pytest.raises(PoolUnavailable):
        pool_claim_next(user=other_rep, pool_id=pool.pk)


def _closed_window_for(country: str) -> tuple[time, time]:
    """A one-hour window that is surely closed now in the lead's zone."""
    from zoneinfo import ZoneInfo

    from pools.timezones import COUNTRY_TZ

    hour = timezone.now().astimezone(ZoneInfo(COUNTRY_TZ[country])).hour
    start = (hour + 3) % 22
    return time(start), time(start + 1)


def test_calling_hours_in_leads_local_time(rep, pool):
    pool.calling_hours_start, pool.calling_hours_end = _closed_window_for("JP")
    pool.save()
    tokyo = pooled(pool, country="JP")
    message = _blocked("calling_hours", lambda: lead_claim(user=rep, lead_id=tokyo.pk))
    assert "lead's local time" in message
    with pytest.raises(PoolEmpty):
        pool_claim_next(user=rep, pool_id=pool.pk)
    pool.calling_hours_start, pool.calling_hours_end = time(0), time(23, 59, 59)
    pool.save()
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == tokyo.pk


def test_claim_and_claim_next_read_a_leads_region_whatever_its_case(rep, pool):
    """Capture keeps a state's case: "ca" is California (Los Angeles time) for both ways of
    claiming, not the US default (New York), where this window is closed."""
    from zoneinfo import ZoneInfo

    hour = timezone.now().astimezone(ZoneInfo("America/Los_Angeles")).hour
    pool.calling_hours_start = time(hour)
    pool.calling_hours_end = time(hour + 1) if hour < 23 else time(23, 59, 59)
    pool.save()
    first = pooled(pool, country="US", state="ca", age_minutes=60)
    second = pooled(pool, country="us ", state=" Ca", age_minutes=30)
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == first.pk
    assert lead_claim(user=rep, lead_id=second.pk).pk == second.pk


def test_claim_next_skips_leads_outside_calling_hours(rep, pool):
    pool.calling_hours_start, pool.calling_hours_end = _closed_window_for("JP")
    pool.save()
    pooled(pool, country="JP", age_minutes=90)  # oldest, but asleep
    unknown = pooled(pool, country="", age_minutes=30)  # no local time known: allowed
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == unknown.pk


@pytest.mark.parametrize("order", [Pool.Order.OLDEST, Pool.Order.SCORE])
@pytest.mark.parametrize("cooldown_hours", [0, 24])
def test_claim_next_applies_calling_hours_and_cooldown_in_either_order(
    rep, team, order, cooldown_hours
):
    # Claim next is written once per order, with and without each of these two filters:
    # every combination passes over the same leads.
    pool = PoolFactory(team=team, order=order, claim_cooldown_hours=cooldown_hours)
    mine = pooled(pool, country="", age_minutes=120, score=99)
    lead_claim(user=rep, lead_id=mine.pk)
    lead_release(user=rep, lead_id=mine.pk, reason="Wrong language")  # back in, newest
    Pool.objects.filter(pk=pool.pk).update(
        calling_hours_start=_closed_window_for("JP")[0],
        calling_hours_end=_closed_window_for("JP")[1],
    )
    pooled(pool, country="JP", age_minutes=90, score=98)  # asleep
    awake = pooled(pool, country="", age_minutes=30, score=1)
    expected = awake if cooldown_hours or order == Pool.Order.OLDEST else mine
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == expected.pk


def test_claim_next_passes_over_the_reps_own_first_lead_to_the_next(rep, team):
    pool = PoolFactory(team=team, order=Pool.Order.SCORE, claim_cooldown_hours=24)
    mine = pooled(pool, score=99)
    lead_claim(user=rep, lead_id=mine.pk)
    lead_release(user=rep, lead_id=mine.pk, reason="Wrong language")  # first by score
    other = pooled(pool, score=10)
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == other.pk
    mine.refresh_from_db()
    assert mine.status == LeadState.POOLED and mine.owner_id is None  # left as it was


def test_previous_owner_cooldown(rep, team):
    pool = PoolFactory(team=team, claim_cooldown_hours=24)
    lead = pooled(pool)
    lead_claim(user=rep, lead_id=lead.pk)
    lead_release(user=rep, lead_id=lead.pk, reason="Wrong language")
    message = _blocked("cooldown", lambda: lead_claim(user=rep, lead_id=lead.pk))
    # When, on the reader's clock, not only how long.
    lead.refresh_from_db()
    until = timezone.localtime(lead.pooled_at + timedelta(hours=24))
    assert f"you can claim it again from {until:%a %d %b, %H:%M} (24 h after" in message
    with pytest.raises(PoolEmpty):
        pool_claim_next(user=rep, pool_id=pool.pk)
    Pool.objects.filter(pk=pool.pk).update(claim_cooldown_hours=0)
    assert lead_claim(user=rep, lead_id=lead.pk).owner == rep


def test_blind_pool_refuses_cherry_picking(rep, team):
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    lead = pooled(pool)
    _blocked("blind", lambda: lead_claim(user=rep, lead_id=lead.pk))


def test_claim_next_follows_pool_order(rep, team):
    oldest_pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    old = pooled(oldest_pool, age_minutes=50, score=1)
    pooled(oldest_pool, age_minutes=10, score=99)
    assert pool_claim_next(user=rep, pool_id=oldest_pool.pk).pk == old.pk
    score_pool = PoolFactory(team=team, mode=Pool.Mode.BLIND, order=Pool.Order.SCORE)
    pooled(score_pool, age_minutes=50, score=1)
    best = pooled(score_pool, age_minutes=10, score=99)
    assert pool_claim_next(user=rep, pool_id=score_pool.pk).pk == best.pk


def test_claim_next_on_empty_pool_says_so(rep, pool):
    with pytest.raises(PoolEmpty) as exc:
        pool_claim_next(user=rep, pool_id=pool.pk)
    assert "empty" in exc.value.message
