"""Read-only aggregations for managers."""

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import RepProfile
from accounts.periods import local_day_index, periods_anywhere
from pools.lifecycle import OPEN_OWNED_STATES, LeadState
from pools.models import Lead, Pool
from routing.models import RepIntake


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
    return {"reps": reps, "pools": pools, "totals": totals, "recent": recent}


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
