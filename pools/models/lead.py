"""The lead and its append-only timeline."""

from __future__ import annotations

from contextlib import nullcontext

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Team
from pools.lifecycle import OWNED_STATES, LeadState
from pools.models.pool import Pool
from pools.models.sources import LeadSource
from pools.signals import lead_events_written


class LeadQuerySet(models.QuerySet):
    def real(self) -> LeadQuerySet:
        """Leads that are not test data: what reports and work queues count."""
        return self.filter(is_test=False)


class Lead(models.Model):
    class Via(models.TextChoices):
        """How the current owner got the lead (reports group by it)."""

        PUSH = "push", "Routed to the rep"
        POOL = "pool", "Claimed from a pool"
        OFFER = "offer", "Accepted a live offer"
        DESK = "desk", "Given by a manager"

    # Contact (protected in blind pools)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="E.164, e.g. +5511912345678.")
    company = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=100, blank=True)
    # Firmographics
    industry = models.CharField(max_length=100, blank=True)
    company_size = models.CharField(max_length=20, blank=True, help_text="Band, e.g. 11-50.")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2.")
    state = models.CharField("state/region", max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=10, blank=True, help_text="ISO 639-1.")
    product_interest = models.CharField(max_length=100, blank=True)
    estimated_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Origin
    source = models.ForeignKey(
        LeadSource, on_delete=models.PROTECT, related_name="leads", null=True, blank=True
    )
    campaign = models.CharField(max_length=100, blank=True)
    landing_page = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    score = models.IntegerField(default=0)
    score_breakdown = models.JSONField(default=list, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    # Sent as test data (a Google Ads form's "send test data"): screening rejects it, so it
    # is never routed, and reports leave it out (`Lead.objects.real()`); admins see it.
    is_test = models.BooleanField(default=False, db_default=False)
    # Where the lead is
    status = models.CharField(
        "state", max_length=12, choices=LeadState.choices, default=LeadState.NEW
    )
    # No index of their own: the composite indexes below start with them.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_leads",
        null=True,
        blank=True,
        db_index=False,
    )
    pool = models.ForeignKey(
        Pool, on_delete=models.PROTECT, related_name="leads", null=True, blank=True, db_index=False
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        related_name="leads",
        null=True,
        blank=True,
        help_text="Team responsible for the lead.",
        db_index=False,
    )
    rejection_reason = models.CharField(max_length=200, blank=True)
    review_reason = models.CharField(
        max_length=200,
        blank=True,
        help_text="Why the lead was held for a manager's review when it arrived (e.g. a "
        "web form sent faster than a person types): routing puts it in the skim queue.",
    )
    lost_reason = models.CharField(max_length=200, blank=True)
    won_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # How the lead was placed, for reports (a join to the latest routing decision per lead
    # is too slow at a million leads). Written with the move, in the same UPDATE, by each
    # writer of a decision (routing.decisions.attribution) and by the claim function; the
    # rule as a plain id, since pools knows nothing of routing.
    routed_rule = models.PositiveIntegerField(
        null=True, blank=True, help_text="Id of the routing rule of the lead's latest decision."
    )
    routed_method = models.CharField(
        max_length=20, blank=True, help_text="Method of the latest decision (or “manual”)."
    )
    assigned_via = models.CharField(
        max_length=5,
        choices=Via.choices,
        blank=True,
        help_text="How the current owner got the lead; empty while nobody owns it.",
    )
    # The territories the engine matched when it last routed the lead (ids of
    # accounts.Territory), written with the move like the columns above, so the desk can
    # filter its queue by territory without re-matching every waiting lead. No index: the
    # desk reads a team's queue by its own index and filters those rows.
    territory_ids = ArrayField(
        models.PositiveIntegerField(),
        default=list,
        db_default=[],  # raw inserts that do not name it (bench data) get none too
        blank=True,
        help_text="Territories matched when the lead was last routed.",
    )
    # Timestamps
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    pooled_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    # First time the lead was qualified; kept through later moves (a reassignment, a pool).
    qualified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Escalation (routing.escalation): when the sweep next looks at the lead, and which of
    # its SLA policy's steps comes next. Every move to a new owner or into a pool sets it
    # to "now" (the sweep then reads the policy and sets the real time), any other move and
    # a touch clear it — pools knows no policy, only that the lead is due for a look.
    escalation_due_at = models.DateTimeField(null=True, blank=True)
    escalation_step = models.PositiveSmallIntegerField(default=0)
    reassignments = models.PositiveSmallIntegerField(
        default=0, help_text="Times escalation took the lead from an owner who never touched it."
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Owner set if and only if the lead is in an owned state.
            models.CheckConstraint(
                condition=(Q(status__in=OWNED_STATES) & Q(owner__isnull=False))
                | (~Q(status__in=OWNED_STATES) & Q(owner__isnull=True)),
                name="lead_owner_iff_owned",
            ),
            # Pool set if and only if the lead sits in it.
            models.CheckConstraint(
                condition=(Q(status=LeadState.POOLED) & Q(pool__isnull=False))
                | (~Q(status=LeadState.POOLED) & Q(pool__isnull=True)),
                name="lead_pool_iff_pooled",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="unique_external_id_per_source",
            ),
        ]
        # Every claim, routing and state change rewrites a lead's index entries (it changes
        # indexed columns, so the update is never HOT): only indexes a query needs. Plain
        # indexes, not `db_index` (which adds a LIKE-pattern twin on PostgreSQL): lookups
        # by e-mail, phone and state are exact.
        indexes = [
            models.Index(fields=["status"], name="lead_status"),
            models.Index(fields=["email"], name="lead_email"),
            models.Index(fields=["phone"], name="lead_phone"),
            models.Index(fields=["owner", "status"], name="lead_owner_status"),
            models.Index(fields=["pool", "status", "pooled_at", "id"], name="lead_pool_order"),
            # "Highest score first" pools: claim next and the pool page walk this index.
            models.Index(
                fields=["pool", "status", "-score", "pooled_at", "id"], name="lead_pool_score"
            ),
            # A team's leads in a state, oldest first: the desk's skim queue reads its first
            # page in index order (no sort of the whole queue); (team, status) lookups too.
            models.Index(fields=["team", "status", "created_at", "id"], name="lead_team_queue"),
            # The escalation sweep's "due now" scan; partial, so the many leads with nothing
            # pending cost no index entries.
            models.Index(
                fields=["escalation_due_at"],
                name="lead_escalation_due",
                condition=Q(escalation_due_at__isnull=False),
            ),
            # Deals won by a rep in a period, and their value (pools.work.quotas), read from
            # the index alone; partial, so only won leads cost an entry.
            models.Index(
                fields=["owner", "closed_at"],
                name="lead_won_by_owner",
                include=["won_value"],
                condition=Q(status=LeadState.WON),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.company or self.email or f"Lead #{self.pk}"

    @property
    def state_label(self) -> str:
        return LeadState(self.status).label


def _own_transaction(using: str | None):
    """The write and what listens to it commit together: the caller's transaction, else
    one of our own (no savepoint inside a caller's: the pair needs none)."""
    if transaction.get_connection(using).in_atomic_block:
        return nullcontext()
    return transaction.atomic(using=using)


class LeadEventQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        with _own_transaction(self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            if created:
                lead_events_written.send(sender=LeadEvent, events=created)
        return created


class LeadEvent(models.Model):
    """Append-only timeline: every state change, assignment, touch, disposition and note.

    Every write is announced (`pools.signals.lead_events_written`, inside the transaction):
    `save` and `bulk_create` here, the two raw inserts (capture's, the claim's) by their
    callers."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        TRANSITION = "transition", "State change"
        ASSIGNED = "assigned", "Assigned"
        CLAIMED = "claimed", "Claimed"
        RELEASED = "released", "Released to pool"
        TOUCH = "touch", "Touch"
        DISPOSITION = "disposition", "Disposition"
        NOTE = "note", "Note"
        INQUIRY = "inquiry", "Repeat inquiry"
        ROUTED = "routed", "Routed"
        ESCALATED = "escalated", "Escalated"

    # No index of its own (nor has actor): the composite indexes below start with them.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_state = models.CharField(max_length=12, choices=LeadState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=LeadState.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lead_events",
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Owner after the event, where it changed hands.",
    )
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = LeadEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["lead", "created_at"], name="event_lead_time"),
            # Claim caps count a rep's claims today / this week.
            models.Index(fields=["actor", "kind", "created_at"], name="event_actor_kind_time"),
            # The leads a rep took in a period (quotas' "leads worked", quota fill), read
            # from the index alone; partial: only moves to `assigned` cost an entry.
            models.Index(
                fields=["owner", "created_at"],
                name="event_taken_by_owner",
                include=["lead"],
                condition=Q(to_state="assigned"),
            ),
            # Reports (reports/pools_offers, reports/escalations) look up, per lead of a
            # period, its claims and its escalations — a few in a hundred of all events.
            # Partial: only those events pay for an entry, and events are append-only (no
            # update ever rewrites them), so the write cost is one entry per claim or step.
            models.Index(
                fields=["lead"],
                include=["created_at"],
                name="event_claim_lead",
                condition=Q(kind="claimed"),
            ),
            models.Index(
                fields=["lead"], name="event_escalated_lead", condition=Q(kind="escalated")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · lead {self.lead_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Lead events are append-only.")
        with _own_transaction(kwargs.get("using")):
            super().save(*args, **kwargs)
            lead_events_written.send(sender=LeadEvent, events=[self])
