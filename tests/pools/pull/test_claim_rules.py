"""The finer points of the pull restrictions, proven on both claim paths: the rep's local
day and week, the lead's local zone and weekday, exact messages, the lead handed back,
and the vanish broadcast only for a claim that happened."""

import asyncio
import types
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import Role
from leadroute.shared.live import live_replace
from pools.lifecycle import LeadState
from pools.models import LeadEvent, Pool
from pools.pull import claim
from pools.pull.claim import (
    ClaimError,
    ClaimRestricted,
    PoolEmpty,
    PoolUnavailable,
    lead_claim,
    pool_claim_next,
)
from tests.factories import LeadFactory, PoolFactory, UserFactory
from tests.pool_helpers import pooled

pytestmark = pytest.mark.django_db


def _past_claim(rep, at: datetime) -> None:
    held = LeadFactory(status=LeadState.ASSIGNED, owner=rep, assigned_at=at, first_touch_at=at)
    LeadEvent.objects.create(
        lead=held, kind=LeadEvent.Kind.CLAIMED, actor=rep, owner=rep, created_at=at
    )


def _set_profile(rep, **fields) -> None:
    profile = rep.rep_profile
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()


# A zone far from UTC, so the rep's midnight is not the server's.
FAR_ZONE = "Pacific/Kiritimati"  # UTC+14


def test_daily_cap_counts_from_midnight_in_the_reps_time_zone(rep, pool):
    _set_profile(rep, time_zone=FAR_ZONE, max_claims_per_day=1)
    midnight = (
        timezone.now()
        .astimezone(ZoneInfo(FAR_ZONE))
        .replace(hour=0, minute=0, second=0, microsecond=0)
    )
    _past_claim(rep, midnight - timedelta(minutes=1))  # yesterday, for the rep
    first = pooled(pool)
    assert lead_claim(user=rep, lead_id=first.pk).owner == rep
    message = _refused("claim_cap", lambda: lead_claim(user=rep, lead_id=pooled(pool).pk))
    assert message == "You have reached your limit of 1 claims today."


def test_weekly_cap_counts_from_monday_in_the_reps_time_zone(rep, pool):
    _set_profile(rep, time_zone=FAR_ZONE, max_claims_per_week=1)
    local = timezone.now().astimezone(ZoneInfo(FAR_ZONE))
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    _past_claim(rep, monday - timedelta(minutes=1))  # last week, for the rep
    assert pool_claim_next(user=rep, pool_id=_blind(pool)).owner == rep
    pooled(pool)
    message = _refused("claim_cap", lambda: pool_claim_next(user=rep, pool_id=pool.pk))
    assert message == "You have reached your limit of 1 claims this week."


def _blind(pool) -> int:
    pooled(pool)
    return pool.pk


def _refused(code, fn) -> str:
    with pytest.raises(ClaimRestricted) as exc:
        fn()
    assert exc.value.code == code
    return exc.value.message


def test_untouched_and_stale_messages_quote_the_counts(rep, pool):
    _set_profile(rep, max_open_untouched=2)
    now = timezone.now()
    for _ in range(2):
        LeadFactory(status=LeadState.ASSIGNED, owner=rep, assigned_at=now)
    lead = pooled(pool)
    assert _refused("untouched", lambda: lead_claim(user=rep, lead_id=lead.pk)) == (
        "You have 2 untouched leads (limit 2). Make first contact with them before claiming more."
    )
    _set_profile(rep, max_open_untouched=None)
    Pool.objects.filter(pk=pool.pk).update(update_first_hours=5)
    LeadFactory(
        status=LeadState.ASSIGNED,
        owner=rep,
        assigned_at=now - timedelta(hours=6),
        first_touch_at=now,
    )
    assert _refused("update_first", lambda: pool_claim_next(user=rep, pool_id=pool.pk)) == (
        "Update your leads first: 1 of your leads assigned more than 5 h ago still have "
        "no disposition."
    )


def _window_open_only_in(zone: str) -> tuple[time, time]:
    """One hour that is open now in `zone` and closed three hours east of it."""
    hour = timezone.now().astimezone(ZoneInfo(zone)).hour
    return time(hour), time(hour + 1) if hour < 23 else time(23, 59, 59)


def test_calling_hours_follow_the_leads_state_zone(rep, pool):
    start, end = _window_open_only_in("America/Los_Angeles")
    Pool.objects.filter(pk=pool.pk).update(calling_hours_start=start, calling_hours_end=end)
    new_york = pooled(pool, country="US", state="NY", age_minutes=90)  # oldest, asleep
    california = pooled(pool, country="US", state="CA", age_minutes=30)
    message = _refused("calling_hours", lambda: lead_claim(user=rep, lead_id=new_york.pk))
    assert message == (
        f"Outside calling hours: this pool's leads may be claimed between "
        f"{start:%H:%M} and {end:%H:%M} in the lead's local time."
    )
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == california.pk


def test_lead_country_is_normalised_before_its_zone_is_looked_up(rep, pool):
    start, end = _window_open_only_in("America/Los_Angeles")
    Pool.objects.filter(pk=pool.pk).update(calling_hours_start=start, calling_hours_end=end)
    lead = pooled(pool, country="us", state=" ny ")
    _refused("calling_hours", lambda: lead_claim(user=rep, lead_id=lead.pk))


@pytest.mark.parametrize(
    "moment, open_in",
    [
        # Friday 20:00 UTC: Saturday 09:00 in Auckland, Friday 15:00 in Lima.
        (datetime(2026, 12, 4, 20, 0, tzinfo=UTC), {"PE"}),
        # Monday 00:30 UTC: Monday 13:30 in Auckland, Sunday 19:30 in Lima.
        (datetime(2026, 12, 7, 0, 30, tzinfo=UTC), {"NZ"}),
    ],
)
def test_weekdays_only_uses_the_leads_local_weekday(rep, pool, monkeypatch, moment, open_in):
    monkeypatch.setattr(claim, "timezone", types.SimpleNamespace(now=lambda: moment))
    Pool.objects.filter(pk=pool.pk).update(
        calling_hours_start=time(0),
        calling_hours_end=time(23, 59, 59),
        calling_weekdays_only=True,
    )
    for country in ("NZ", "PE"):
        lead = pooled(pool, country=country)
        if country in open_in:
            assert lead_claim(user=rep, lead_id=lead.pk).owner == rep
        else:
            message = _refused(
                "calling_hours", lambda lead=lead: lead_claim(user=rep, lead_id=lead.pk)
            )
            assert message.endswith("00:00 and 23:59 on weekdays in the lead's local time.")


def test_only_reps_may_claim(manager, pool):
    lead = pooled(pool)
    with pytest.raises(ClaimError) as exc:
        lead_claim(user=manager, lead_id=lead.pk)
    assert (exc.value.code, exc.value.status) == ("refused", 403)
    assert exc.value.message == "Only reps can claim leads."
    with pytest.raises(ClaimError):
        pool_claim_next(user=manager, pool_id=pool.pk)


def test_an_inactive_rep_may_not_claim(rep, pool):
    rep.is_active = False
    rep.save()
    with pytest.raises(ClaimError) as exc:
        pool_claim_next(user=rep, pool_id=_blind(pool))
    assert exc.value.message == "Only reps can claim leads."


def test_a_rep_without_a_profile_is_told_to_ask_a_manager(pool):
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name=Role.REP.value)[0])
    with pytest.raises(PoolUnavailable) as exc:
        pool_claim_next(user=user, pool_id=_blind(pool))
    assert "rep profile" in exc.value.message


def test_a_missing_or_inactive_pool_reads_as_out_of_scope(rep, pool):
    with pytest.raises(PoolUnavailable) as exc:
        pool_claim_next(user=rep, pool_id=pool.pk + 1000)
    assert "scope" in exc.value.message
    Pool.objects.filter(pk=pool.pk).update(is_active=False)
    with pytest.raises(PoolUnavailable):
        pool_claim_next(user=rep, pool_id=_blind(pool))


def test_claim_next_says_when_leads_wait_but_none_is_for_this_rep(rep, team):
    pool = PoolFactory(team=team, claim_cooldown_hours=24)
    lead = pooled(pool, age_minutes=5)
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.RELEASED, actor=rep, owner=rep)
    with pytest.raises(PoolEmpty) as exc:
        pool_claim_next(user=rep, pool_id=pool.pk)
    assert "calling hours, reserved sources or your recent leads" in exc.value.message


def test_claim_hands_back_the_whole_lead(rep, pool):
    lead = pooled(pool, attributes={"utm": "x"}, score_breakdown=[["web", 5]], company="Acme")
    claimed = lead_claim(user=rep, lead_id=lead.pk, pool_id=pool.pk)
    assert (claimed.status, claimed.owner, claimed.pool_id) == (LeadState.ASSIGNED, rep, None)
    assert claimed.attributes == {"utm": "x"} and claimed.score_breakdown == [["web", 5]]
    assert claimed.company == "Acme" and claimed.assigned_at is not None
    assert claimed.first_touch_at is None
    event = claimed.events.get(kind=LeadEvent.Kind.CLAIMED)
    assert (event.actor, event.owner, event.from_state, event.to_state) == (
        rep,
        rep,
        LeadState.POOLED,
        LeadState.ASSIGNED,
    )
    assert event.reason == f"Claimed from {pool.name}" and event.data == {"pool": pool.pk}


def test_claim_of_a_lead_from_another_pool_is_taken(rep, pool, team):
    other = PoolFactory(team=team, claim_cooldown_hours=0)
    lead = pooled(other)
    with pytest.raises(ClaimError) as exc:
        lead_claim(user=rep, lead_id=lead.pk, pool_id=pool.pk)
    assert exc.value.code == "taken"


def test_vanish_is_broadcast_after_commit_and_only_for_a_claim(
    rep, pool, django_capture_on_commit_callbacks
):
    lead = pooled(pool)
    # (A profile save pings the team board: outside the captured blocks.)
    _set_profile(rep, max_claims_per_day=0)
    with django_capture_on_commit_callbacks() as sent:
        with pytest.raises(ClaimRestricted):
            lead_claim(user=rep, lead_id=lead.pk)
    assert sent == []
    _set_profile(rep, max_claims_per_day=None)
    with django_capture_on_commit_callbacks() as sent:
        lead_claim(user=rep, lead_id=lead.pk)
    # The transaction's frames (the pool's row leaving, the team board's ping) go in one
    # send; the second callback only marks its frame as not rolled back.
    assert len(sent) == 2


@pytest.mark.django_db(transaction=True)
async def test_a_claim_sends_one_frame_to_its_pools_group_once_committed(rep, pool):
    """Through the real channel layer: a socket in the pool's group gets exactly one frame,
    the claimed row leaving, and a refused claim sends nothing."""
    from channels.db import database_sync_to_async
    from channels.layers import get_channel_layer

    from leadroute.shared.live import pool_group, user_group
    from pools.pull.selectors import row_token

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(pool_group(pool.pk), channel)
    await layer.group_add(user_group(rep.pk), channel)
    lead = await database_sync_to_async(pooled)(pool)

    def refused_then_claimed():
        _set_profile(rep, max_claims_per_day=0)
        with pytest.raises(ClaimRestricted):
            lead_claim(user=rep, lead_id=lead.pk)
        _set_profile(rep, max_claims_per_day=None)
        lead_claim(user=rep, lead_id=lead.pk)

    await database_sync_to_async(refused_then_claimed)()
    frame = await asyncio.wait_for(layer.receive(channel), timeout=5)
    token = row_token(pool_id=pool.pk, lead_id=lead.pk)
    assert frame["html"] == live_replace(f"pl-{token}")  # the row leaves
    # Then nothing else: a sentinel sent now is the next message.
    await layer.group_send(user_group(rep.pk), {"type": "live.html", "html": "end"})
    assert (await asyncio.wait_for(layer.receive(channel), timeout=5))["html"] == "end"


def test_ids_out_of_range_are_refused_not_errors(rep, pool):
    huge = 2**70
    with pytest.raises(PoolUnavailable):
        pool_claim_next(user=rep, pool_id=huge)
    with pytest.raises(ClaimError) as exc:
        lead_claim(user=rep, lead_id=huge)
    assert exc.value.code == "taken"
    with pytest.raises(PoolUnavailable):
        lead_claim(user=rep, lead_id=pooled(pool).pk, pool_id=huge)
