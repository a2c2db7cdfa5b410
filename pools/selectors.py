"""Reads of leads, scoped to what a user may see."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)

from accounts.roles import Role, has_role
from accounts.selectors import teams_managed_by
from pools.lifecycle import OPEN_OWNED_STATES, LeadState
from pools.models import ImportDuplicate, ImportJob, Lead, LeadEvent, LeadSource
from pools.signals import lead_timeline_extras


def leads_visible_to(*, user) -> QuerySet[Lead]:
    """A rep sees the leads they own; a manager their teams' leads; an admin all.

    A manager's scope is the lead's team, not its owner's: a rep of theirs who holds
    another team's lead does not open that team's leads (and its reps' caps and absences
    in "Why this rep?") to them."""
    if has_role(user, Role.ADMIN):
        return Lead.objects.all()
    scope = Q(pk__in=[])
    if has_role(user, Role.REP):
        scope |= Q(owner=user)
    if has_role(user, Role.MANAGER):
        scope |= _managed_scope(user)
    return Lead.objects.filter(scope)


def leads_managed_by(*, user, skimming: bool = False) -> QuerySet[Lead]:
    """The leads of the teams `user` manages (by the lead's team, as `leads_visible_to`
    has it), all of them for an admin: each opens for `user`.

    `skimming` (the desk's queue and its assign): also the leads waiting in the skim
    queue of teams `user` has skimming rights for — only those, not the team's others."""
    if has_role(user, Role.ADMIN):
        return Lead.objects.all()
    scope = _managed_scope(user)
    # Skimming rights are a rep's (a manager's scope already holds their queues): a
    # manager's query stays the one the desk's queue index serves.
    if skimming and has_role(user, Role.REP):
        scope |= Q(status=LeadState.SKIMMING, team__in=teams_managed_by(user=user, skimming=True))
    return Lead.objects.filter(scope)


def _managed_scope(user) -> Q:
    return Q(team__in=teams_managed_by(user=user))


def rep_open_leads(*, user) -> QuerySet[Lead]:
    """ "My leads": untouched first (the first five minutes matter), oldest first within."""
    return (
        Lead.objects.filter(owner=user, status__in=OPEN_OWNED_STATES)
        .select_related("source")
        .annotate(
            touched=ExpressionWrapper(Q(first_touch_at__isnull=False), output_field=BooleanField())
        )
        .order_by("touched", "assigned_at", "id")
    )


def rep_closed_leads(*, user) -> QuerySet[Lead]:
    """A rep's won and lost leads, the latest closed first."""
    return (
        Lead.objects.filter(owner=user, status__in=(LeadState.WON, LeadState.LOST))
        .select_related("source", "team")
        .order_by(F("closed_at").desc(nulls_last=True), "-id")
    )


def rep_lead_counts(*, user) -> dict:
    return Lead.objects.filter(owner=user).aggregate(
        open=Count("id", filter=Q(status__in=OPEN_OWNED_STATES)),
        untouched=Count("id", filter=Q(status=LeadState.ASSIGNED, first_touch_at__isnull=True)),
        won=Count("id", filter=Q(status=LeadState.WON)),
        lost=Count("id", filter=Q(status=LeadState.LOST)),
    )


def lead_timeline(*, lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("actor", "owner").order_by("-created_at", "-id")


@dataclass(frozen=True)
class TimelineEntry:
    """A line a layer above pools adds to a lead's timeline, drawn by its own template with
    `item` in its context."""

    created_at: datetime
    template: str
    item: object


def lead_timeline_with_extras(*, lead: Lead, viewer) -> list:
    """The lead's events and the entries the layers above add (lead_timeline_extras),
    newest first."""
    events = list(lead_timeline(lead=lead))
    extras = [
        entry
        for _, entries in lead_timeline_extras.send(
            sender=Lead, lead=lead, viewer=viewer, events=events
        )
        for entry in entries or ()
    ]
    if not extras:
        return events
    # At the same moment, an entry follows the event that led to it (routed, then offered).
    return sorted(
        events + extras,
        key=lambda e: (e.created_at, isinstance(e, TimelineEntry)),
        reverse=True,
    )


def lead_last_claim(*, lead: Lead) -> LeadEvent | None:
    """The lead's latest claim from a pool (its data names the pool; its actor, the rep)."""
    return (
        LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.CLAIMED)
        .order_by("-created_at", "-id")
        .first()
    )


def leads_unqualified_for(*, user) -> QuerySet[Lead]:
    """Rejected leads of the teams `user` manages (all of them for an admin), newest first."""
    # Test leads are rejected by screening too, but are nobody's work: admins find them in
    # the admin (Leads, "is test").
    leads = Lead.objects.real().filter(status=LeadState.REJECTED)
    if not has_role(user, Role.ADMIN):
        leads = leads.filter(team__in=teams_managed_by(user=user))
    return leads.select_related("source", "team").order_by("-created_at", "-id")


def sources_managed_by(*, user) -> QuerySet[LeadSource]:
    """Active sources a manager may import into or embed: their teams' (all for admins)."""
    sources = LeadSource.objects.filter(is_active=True)
    if not has_role(user, Role.ADMIN):
        sources = sources.filter(team__in=teams_managed_by(user=user))
    return sources.select_related("team")


def import_jobs_visible_to(*, user) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.defer("content").select_related("source", "created_by")
    if has_role(user, Role.ADMIN):
        return jobs
    return jobs.filter(Q(created_by=user) | Q(source__team__in=teams_managed_by(user=user)))


def import_duplicates_for(*, job: ImportJob, user) -> QuerySet[ImportDuplicate]:
    """The job's rows that repeated a lead, in file order, each with its lead and
    `lead_visible`: whether `user` may open that lead. Its source is of the importer's team,
    but routing may since have placed it in a team the importer does not manage: such a
    row is listed without the lead."""
    return (
        job.duplicate_rows.select_related("lead")
        .annotate(lead_visible=Exists(leads_visible_to(user=user).filter(pk=OuterRef("lead_id"))))
        .order_by("row", "id")
    )
