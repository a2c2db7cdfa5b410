"""Read-only aggregations for managers."""

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import RepProfile
from pools.lifecycle import OPEN_OWNED_STATES, LeadState
from pools.models import Lead, Pool


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
            assigned_today=Count(
                "user__owned_leads", filter=Q(user__owned_leads__assigned_at__gte=start_of_day)
            ),
            won=Count("user__owned_leads", filter=Q(user__owned_leads__status=LeadState.WON)),
        )
        .order_by("team__name", "user__username")
    )
    pools = (
        Pool.objects.filter(Q(team__in=teams))
        .annotate(waiting=Count("leads", filter=Q(leads__status=LeadState.POOLED)))
        .order_by("name")
    )
    team_leads = Lead.objects.filter(team__in=teams)
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
