"""Reads for the desk: the skim queue of a manager's teams, filtered and ordered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Territory
from accounts.selectors import reps_managed_by, teams_managed_by
from pools.lifecycle import LeadState
from pools.models import Lead, LeadSource, Pool
from pools.pull.selectors import pools_managed_by
from pools.selectors import leads_managed_by

QUEUE_PAGE = 50
ORDERS = {"oldest": "Oldest first", "newest": "Newest first"}


@dataclass(frozen=True)
class QueueFilters:
    """The desk's filters, read from the query string; a bad value is dropped (and
    named in `errors`), never a 500."""

    order: str = "oldest"
    source: int | None = None
    country: str = ""
    territory: int | None = None
    min_score: int | None = None
    older_than_hours: int | None = None
    errors: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data) -> QueueFilters:
        errors = []

        def number(name, label):
            text = (data.get(name) or "").strip()
            if not text:
                return None
            try:
                return int(text)
            except ValueError:
                errors.append(f"{label}: “{text[:20]}” is not a whole number.")
                return None

        order = data.get("order") or "oldest"
        if order not in ORDERS:
            errors.append("Order: choose oldest or newest first.")
            order = "oldest"
        return cls(
            order=order,
            source=number("source", "Source"),
            country=(data.get("country") or "").strip().upper()[:2],
            territory=number("territory", "Territory"),
            min_score=number("min_score", "Minimum score"),
            older_than_hours=number("older_than", "Waiting longer than"),
            errors=tuple(errors),
        )

    @property
    def is_filtered(self) -> bool:
        """Whether any filter narrows the queue (the order does not)."""
        return any(key != "order" for key in self.query())

    def query(self) -> dict:
        """The filters as query-string values (links keep them)."""
        values = {
            "order": self.order if self.order != "oldest" else "",
            "source": self.source,
            "country": self.country,
            "territory": self.territory,
            "min_score": self.min_score,
            "older_than": self.older_than_hours,
        }
        return {k: v for k, v in values.items() if v not in (None, "")}


def desk_queue(*, user, filters: QueueFilters, now: datetime | None = None) -> QuerySet[Lead]:
    """The leads of `user`'s teams waiting for a person (the skim queue: a rule's skim
    action, fallbacks, leads held for review), filtered, in the chosen order.

    The scope is leads_managed_by's; the teams are also compared by value (`team_id = …`):
    with one team the first page is then read in lead_team_queue's order, about 1 ms
    however long the queue, where the scope's subquery alone had PostgreSQL fetch and
    sort the whole queue (30 ms at 5,000). A skim queue is a team's: a lead without a
    team has no manager's desk to wait on (an admin finds it under Leads)."""
    team_ids = list(teams_managed_by(user=user, skimming=True).values_list("pk", flat=True))
    leads = leads_managed_by(user=user, skimming=True).filter(
        status=LeadState.SKIMMING, team_id__in=team_ids
    )
    if filters.source:
        leads = leads.filter(source_id=filters.source)
    if filters.country:
        leads = leads.filter(country=filters.country)
    if filters.territory:
        # The territories the engine matched when it routed the lead (Lead.territory_ids).
        leads = leads.filter(territory_ids__contains=[filters.territory])
    if filters.min_score is not None:
        leads = leads.filter(score__gte=filters.min_score)
    if filters.older_than_hours:
        now = now or timezone.now()
        leads = leads.filter(created_at__lte=now - timedelta(hours=filters.older_than_hours))
    if filters.order == "newest":
        return leads.order_by("-created_at", "-id")
    return leads.order_by("created_at", "id")


def queue_after(*, queue: QuerySet[Lead], lead: Lead, order: str) -> Lead | None:
    """The lead after `lead` in the queue's order (keyset: no offset, whatever its size)."""
    if order == "newest":
        later = Q(created_at__lt=lead.created_at) | Q(created_at=lead.created_at, id__lt=lead.pk)
    else:
        later = Q(created_at__gt=lead.created_at) | Q(created_at=lead.created_at, id__gt=lead.pk)
    return queue.filter(later).select_related("source", "team").first()


def lead_of_skim_teams(*, user, lead_id) -> bool:
    """Whether the lead belongs to a team whose skim queue `user` may work (whatever its
    state now): a skimmer's action on one that left the queue is "taken", not a 404."""
    teams = teams_managed_by(user=user, skimming=True)
    return Lead.objects.filter(pk=lead_id, team__in=teams).exists()


def desk_reps(*, user) -> QuerySet:
    """Reps `user` can give the queue's leads to (a skimmer: their skim teams' reps)."""
    return reps_managed_by(user=user, skimming=True)


def desk_pools(*, user) -> QuerySet[Pool]:
    return pools_managed_by(user=user).order_by("name")


def desk_territories() -> QuerySet[Territory]:
    """Every territory: they are shared by all teams (a rep of any team may cover one)."""
    return Territory.objects.order_by("name")


def desk_sources(*, user) -> QuerySet[LeadSource]:
    teams = teams_managed_by(user=user, skimming=True)
    return LeadSource.objects.filter(team__in=teams).order_by("name")
