from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import RepProfile, Team
from pools.models import Lead, Pool

from .escalation.models import EmailMute, Notification, PoolAgingPolicy, SlaPolicy, SlaStep
from .offers.models import Offer, OfferResponse
from .rules.conditions import ConditionError, conditions_validate
from .rules.models import RoutingRuleQuerySet, RuleSet, RuleSetPromotion, live_rule_set_id
from .simulator.models import SimulationLead, SimulationRun
from .webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = [
    "EmailMute",
    "Heartbeat",
    "Notification",
    "PoolAgingPolicy",
    "SlaPolicy",
    "SlaStep",
    "Offer",
    "OfferResponse",
    "RepIntake",
    "RoutingDecision",
    "RoutingRule",
    "RuleRotation",
    "WebhookDelivery",
    "WebhookSubscription",
    "RuleSet",
    "RuleSetPromotion",
    "SimulationLead",
    "SimulationRun",
]


class Heartbeat(models.Model):
    """When a periodic job last ran; /healthz reads it to tell whether beat is alive."""

    SWEEP = "sweep"

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


CONDITIONS_HELP = (
    "Which leads this rule takes: groups of conditions on lead fields; a lead matches when "
    "all the conditions of any group hold. No conditions: every lead."
)


def validate_conditions(value) -> None:
    """The stored shape, whoever writes it (the admin's editor checks its text first)."""
    try:
        conditions_validate(value)
    except ConditionError as exc:
        raise ValidationError(str(exc)) from None


class RoutingRule(models.Model):
    class Action(models.TextChoices):
        ASSIGN = "assign", "Assign to a rep (using the method)"
        POOL = "pool", "Place in a pool"
        SKIM = "skim", "Send to the team manager's skim queue"
        OFFER = "offer", "Offer live to online reps (using the offer method)"

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", "Round robin"
        WEIGHTED = "weighted", "Weighted round robin (rep weights)"
        LOAD_BALANCED = "load_balanced", "Load balanced (fewest open leads)"
        TOP_PERFORMER = "top_performer", "Top performer (conversion rate)"
        TERRITORY = "territory", "Territory owner"
        SKILLS = "skills", "Best skills match"
        DIRECT = "direct", "Direct to a named rep"
        QUOTA_FILL = "quota_fill", "Quota fill (furthest behind their lead quota)"

    class OfferMethod(models.TextChoices):
        SHOTGUN = "shotgun", "Shotgun: everyone at once, first to accept wins"
        SHARK_TANK = "shark_tank", "Shark tank: the N fastest responders at once"
        SEQUENTIAL = "sequential", "Sequential: one rep at a time, rotating, passes reversing"
        CASCADE = "cascade", "Top-producer cascade: best converters first, one at a time"
        WAVES = "waves", "Waves: the top tier, then the top two tiers, and so on"

    class Target(models.TextChoices):
        TEAM = "team", "The reps of the team"
        REPS = "reps", "The reps listed below"
        TERRITORY = "territory", "The reps covering the lead's territory"

    class Fallback(models.TextChoices):
        SKIM = "skim", "Team manager's skim queue"
        POOL = "pool", "A pool"
        RULE = "rule", "Another rule"

    rule_set = models.ForeignKey(
        RuleSet,
        on_delete=models.CASCADE,
        related_name="rules",
        help_text="The set this rule belongs to: only the live set's rules route leads.",
    )
    # The live rule this draft rule was copied from: a replay starts the copy's rotation
    # where the original's stood (routing.simulator.book).
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=100)
    priority = models.PositiveIntegerField(
        default=100,
        db_index=True,
        help_text="Rules are tried from the lowest number up; the first that matches wins.",
    )
    is_active = models.BooleanField("active", default=True)
    description = models.TextField(blank=True, help_text="Why this rule exists (for people).")
    conditions = models.JSONField(
        default=list, blank=True, help_text=CONDITIONS_HELP, validators=[validate_conditions]
    )

    action = models.CharField(max_length=10, choices=Action.choices, default=Action.ASSIGN)
    method = models.CharField(
        max_length=20,
        choices=Method.choices,
        default=Method.ROUND_ROBIN,
        help_text="How a rep is chosen (for “Assign to a rep”).",
    )
    target = models.CharField(
        max_length=10,
        choices=Target.choices,
        default=Target.TEAM,
        help_text="Who may be chosen (for “Assign to a rep”).",
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="routing_rules",
        help_text="The team whose reps are chosen from, whose skim queue is used, and which "
        "becomes the lead's team when it has none.",
    )
    reps = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="For “The reps listed below”.",
    )
    direct_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For the “Direct to a named rep” method.",
    )
    pool = models.ForeignKey(
        Pool,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For “Place in a pool”.",
    )

    # Method options
    keep_turn = models.BooleanField(
        default=True,
        help_text="Round robin: a rep who is away, off hours or out of office "
        "keeps their turn and gets the next lead once back.",
    )
    performance_window_days = models.PositiveIntegerField(
        default=90, help_text="Top performer: conversion measured over this many days."
    )
    performance_min_sample = models.PositiveIntegerField(
        default=5,
        help_text="Top performer: closed leads needed before a rep's own rate "
        "counts; below it the rate is pulled toward the team average.",
    )
    value_tiers = models.JSONField(
        default=list,
        blank=True,
        help_text="Top performer tiers: estimated-value thresholds, highest first, e.g. "
        "50000, 10000. Leads above the first go to the best reps, and so on. "
        "Empty = one tier.",
    )

    # Live offer options
    offer_method = models.CharField(
        max_length=20,
        choices=OfferMethod.choices,
        default=OfferMethod.SHOTGUN,
        help_text="How the lead is offered (for “Offer live”).",
    )
    offer_seconds = models.PositiveIntegerField(
        "seconds per step",
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text="Offer live: how long each step stays open (a rep's turn, a wave).",
    )
    offer_passes = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Sequential: passes over the reps (every other one in reverse order) "
        "before the fallback.",
    )
    offer_shark_size = models.PositiveSmallIntegerField(
        "shark tank size",
        default=3,
        validators=[MinValueValidator(1)],
        help_text="Shark tank: how many of the fastest responders get the offer.",
    )
    offer_blind = models.BooleanField(
        "blind offer",
        default=False,
        help_text="Offer live: reps see only non-identifying fields (source, country, "
        "industry, company size, language) until they win the lead; otherwise also the "
        "name, company and job title. E-mail and phone only ever after the win.",
    )
    offer_waves = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Waves: performance tiers, each wave adding the next.",
    )

    # Eligibility asked by this rule
    require_territory = models.BooleanField(
        default=False, help_text="Only reps covering the lead's territory."
    )
    require_language = models.BooleanField(
        default=False, help_text="Rep must speak the lead's language."
    )
    require_industry = models.BooleanField(
        default=False, help_text="Rep must cover the lead's industry."
    )
    require_company_size = models.BooleanField(
        default=False, help_text="Rep must cover the lead's company-size band."
    )
    require_product = models.BooleanField(
        default=False, help_text="Rep must know the lead's product."
    )
    min_seniority = models.PositiveSmallIntegerField(
        choices=RepProfile.Seniority.choices,
        null=True,
        blank=True,
        help_text="Only reps at least this senior.",
    )

    # When nobody is eligible
    fallback = models.CharField(
        max_length=10,
        choices=Fallback.choices,
        default=Fallback.SKIM,
        help_text="Where the lead goes when nobody is eligible.",
    )
    fallback_rule = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="For “Another rule”.",
    )
    fallback_pool = models.ForeignKey(
        Pool,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For “A pool”.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoutingRuleQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["is_active", "priority", "id"], name="rule_active_order")]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "name"], name="rule_name_per_set")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.rule_set_id is None:  # rules made in code (seeds, tests) join the live set
            self.rule_set_id = live_rule_set_id()
        super().save(*args, **kwargs)

    @property
    def assign_method(self) -> str:
        """The method choosing one rep, or "" when the rule does not assign (a pool, a skim
        queue, a live offer): `method` keeps its last value whatever the action."""
        return self.method if self.action == self.Action.ASSIGN else ""

    @property
    def picks_reps(self) -> bool:
        """Whether the rule chooses among reps (and so needs their facts)."""
        return self.action in (self.Action.ASSIGN, self.Action.OFFER)


class RuleRotation(models.Model):
    """A rule's method state (round-robin pointer, weighted current weights). Read and
    written under select_for_update, so parallel routers take turns on it."""

    rule = models.OneToOneField(RoutingRule, on_delete=models.CASCADE, related_name="rotation")
    state = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Rotation of {self.rule}"


class RepIntake(models.Model):
    """Leads routed to a rep per day, the rep's own day (in their time zone, as the caps
    count it): caps read a handful of these rows instead of counting leads. Bumped by one
    upsert per routed batch (routing.engine.facts.intake_bump_sql), while a capped rep's profile
    row is locked (routing.engine.book)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_intake_per_day")]
        indexes = [models.Index(fields=["user", "day"], name="intake_user_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}: {self.count}"


class RoutingDecision(models.Model):
    """Append-only: why a lead went where it went."""

    class Outcome(models.TextChoices):
        ASSIGNED = "assigned", "Assigned to a rep"
        POOLED = "pooled", "Placed in a pool"
        SKIMMING = "skimming", "Sent to the skim queue"
        OFFERED = "offered", "Offered live"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="routing_decisions")
    rule = models.ForeignKey(
        RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    rule_name = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=20, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    winner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pool = models.ForeignKey(
        Pool, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500)
    # {"rules": [...], "steps": [{"rule", "candidates": [...], "state_before", "state_after",
    #  "result"}], "territories": [...]}
    details = models.JSONField(default=dict)
    duration_ms = models.FloatField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="decision_lead_time")]

    def __str__(self) -> str:
        return f"Lead {self.lead_id}: {self.get_outcome_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Routing decisions are append-only.")
        super().save(*args, **kwargs)
