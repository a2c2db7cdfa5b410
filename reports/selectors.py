"""Read-only aggregations for managers: the team board."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import RepProfile, User
from accounts.periods import local_day_index, periods_anywhere
from pools.lifecycle import OPEN_OWNED_STATES, LeadState
from pools.models import Lead, LeadEvent, Pool
from pools.money import currency_symbol
from pools.work.quotas import quota_attainment
from routing.live.presence import users_online
from routing.models import OfferResponse, RepIntake

# What a rep does themselves (the timeline's actor): their last one is "last activity".
ACTIVITY_KINDS = (
    LeadEvent.Kind.TOUCH,
    LeadEvent.Kind.DISPOSITION,
    LeadEvent.Kind.NOTE,
    LeadEvent.Kind.CLAIMED,
    LeadEvent.Kind.RELEASED,
    LeadEvent.Kind.ASSIGNED,  # an offer they accepted
)


def _last_event(kind: str) -> Subquery:
    # Per kind, so each is one backward step on event_actor_kind_time (actor, kind,
    # created_at); one subquery over all kinds would read every event the rep ever made.
    return Subquery(
        LeadEvent.objects.filter(actor_id=OuterRef("pk"), kind=kind)
        .order_by("-created_at")
        .values("created_at")[:1]
    )


def team_overview(*, teams) -> dict:
    """Per rep and per pool counts for `teams`, in a fixed number of queries."""
    # The reader's today (accounts.middleware activates their zone).
    start_of_day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    reps = (
        RepProfile.objects.filter(team__in=teams)
        .select_related("user", "team")
        .annotate(
            open_leads=Count(
                "user__owned_leads", filter=Q(user__owned_leads__status__in=OPEN_OWNED_STATES)
            ),
            untouched=Count(
                "user__owned_leads",
                filter=Q(
                    user__owned_leads__status=LeadState.ASSIGNED,
                    user__owned_leads__first_touch_at__isnull=True,
                ),
            ),
            won=Count("user__owned_leads", filter=Q(user__owned_leads__status=LeadState.WON)),
        )
        .order_by("team__name", "user__username")
    )
    reps = _with_routed_today(list(reps))
    _with_offers_today(reps)
    _with_last_activity(reps)
    user_ids = [rep.user_id for rep in reps]
    online = users_online(user_ids=user_ids) if reps else frozenset()
    # Each rep's quotas for their own current week or month (two queries for any number).
    quotas = quota_attainment(user_ids=user_ids, at=timezone.now()) if reps else {}
    for rep in reps:
        rep.online = rep.user_id in online
        rep.cap_today = rep.effective_cap("max_per_day")
        rep.quotas = quotas.get(rep.user_id, [])
        rep.currency = currency_symbol(rep.team.currency)  # beside a value quota's figures
    pools = (
        Pool.objects.filter(Q(team__in=teams))
        .annotate(waiting=Count("leads", filter=Q(leads__status=LeadState.POOLED)))
        .order_by("name")
    )
    team_leads = Lead.objects.real().filter(team__in=teams)
    totals = team_leads.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_OWNED_STATES)),
        untouched=Count("id", filter=Q(status=LeadState.ASSIGNED, first_touch_at__isnull=True)),
        pooled=Count("id", filter=Q(status=LeadState.POOLED)),
        skimming=Count("id", filter=Q(status=LeadState.SKIMMING)),
        rejected=Count("id", filter=Q(status=LeadState.REJECTED)),
        new_today=Count("id", filter=Q(created_at__gte=start_of_day)),
    )
    recent = team_leads.select_related("owner", "source").order_by("-created_at")[:15]
    return {
        "reps": reps,
        "online_count": sum(rep.online for rep in reps),
        "pools": pools,
        "totals": totals,
        "recent": recent,
    }


def _with_routed_today(reps: list[RepProfile]) -> list[RepProfile]:
    """Each rep's `routed_today`: leads routing gave them on their own day, in their time
    zone — the count their daily cap reads and "Why this rep?" shows (RepIntake), one
    query whatever the number of reps."""
    now = timezone.now()
    days = [periods.day for periods in periods_anywhere(now)]
    counts = {
        (user_id, day): n
        for user_id, day, n in RepIntake.objects.filter(
            user_id__in=[rep.user_id for rep in reps], day__in=days
        ).values_list("user_id", "day", "count")
    }
    for rep in reps:
        rep.routed_today = counts.get((rep.user_id, days[local_day_index(now, rep.time_zone)]), 0)
    return reps


def _day_start(rep: RepProfile, now: datetime) -> datetime:
    zone = ZoneInfo(rep.time_zone)
    return datetime.combine(now.astimezone(zone).date(), time.min, zone)


def _with_offers_today(reps: list[RepProfile]) -> None:
    """Each rep's offers accepted and declined since their own midnight (as their caps
    count a day), one query whatever the number of reps: reps grouped by the instant
    their day began, each group one range on response_rep_time."""
    now = timezone.now()
    by_start: dict[datetime, list[int]] = {}
    for rep in reps:
        by_start.setdefault(_day_start(rep, now), []).append(rep.user_id)
    counts: dict[tuple[int, str], int] = {}
    if by_start:
        since = Q()
        for start, user_ids in by_start.items():
            since |= Q(rep_id__in=user_ids, responded_at__gte=start)
        rows = (
            OfferResponse.objects.filter(since)
            .values("rep_id", "response")
            .annotate(n=Count("id"))
            .values_list("rep_id", "response", "n")
        )
        counts = {(rep_id, response): n for rep_id, response, n in rows}
    for rep in reps:
        rep.accepted_today = counts.get((rep.user_id, OfferResponse.Response.ACCEPTED), 0)
        rep.declined_today = counts.get((rep.user_id, OfferResponse.Response.DECLINED), 0)


def _with_last_activity(reps: list[RepProfile]) -> None:
    """Each rep's latest own action, one query (apart from the counts' GROUP BY, which
    would evaluate the subqueries once per lead joined)."""
    last = (
        dict(
            User.objects.filter(pk__in=[rep.user_id for rep in reps])
            .annotate(last=Greatest(*[_last_event(kind) for kind in ACTIVITY_KINDS]))
            .values_list("pk", "last")
        )
        if reps
        else {}
    )
    for rep in reps:
        rep.last_activity = last.get(rep.user_id)
