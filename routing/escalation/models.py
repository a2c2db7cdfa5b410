"""SLA policies (first touch within N minutes, then ordered steps), pool aging, and the
in-app notifications escalation sends. Defined here and re-exported by routing.models;
they name other models by label only, so this module imports no model."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


def minutes_label(minutes: int) -> str:
    if minutes and minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} min"


class SlaPolicy(models.Model):
    """How long a team's new owner may leave a lead untouched, and what happens then.

    A policy applies to an owned lead of its team that nobody has touched yet; the
    narrowest active policy wins (one naming the lead's rule, source or score band over a
    team-wide one). The sweep reads policies at every due step, so an edit applies to the
    next step of every lead."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(
        "routing.RoutingRule",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"rule_set__state": "live"},  # leads are placed by live rules only
        help_text="Only leads this rule placed. Empty: any.",
    )
    source = models.ForeignKey(
        "pools.LeadSource",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only leads from this source. Empty: any.",
    )
    min_score = models.IntegerField(null=True, blank=True, help_text="Score at least this.")
    max_score = models.IntegerField(null=True, blank=True, help_text="Score at most this.")
    working_hours_only = models.BooleanField(
        default=False,
        help_text="Count only the owner's working hours, in their time zone (a lead that "
        "arrives on Friday night is due on Monday).",
    )
    max_reassignments = models.PositiveSmallIntegerField(
        default=2,
        help_text="After this many reassignments a reassign step parks the lead in the "
        "manager's skim queue instead.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        ordering = ["team__name", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if (
            self.min_score is not None
            and self.max_score is not None
            and self.min_score > self.max_score
        ):
            raise ValidationError({"max_score": "The highest score is below the lowest."})
        if self.rule_id and self.team_id and self.rule.team_id not in (None, self.team_id):
            raise ValidationError(
                {
                    "rule": f"“{self.rule}” places leads with {self.rule.team}, not this "
                    "policy's team: the policy would never apply."
                }
            )

    @property
    def specificity(self) -> int:
        return sum(
            (
                self.rule_id is not None,
                self.source_id is not None,
                self.min_score is not None or self.max_score is not None,
            )
        )


class SlaStep(models.Model):
    class Action(models.TextChoices):
        REMIND = "remind", "Remind the owner"
        REASSIGN = "reassign", "Reassign to the next eligible rep (the lead's rule)"
        POOL = "pool", "Send back to a pool"
        SKIM = "skim", "Send to the manager's skim queue"
        NOTIFY_MANAGER = "notify_manager", "Notify the team's managers"

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="steps")
    after_minutes = models.PositiveIntegerField(
        help_text="Minutes since the lead was assigned (working minutes if the policy "
        "counts only working hours)."
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    pool = models.ForeignKey(
        "pools.Pool",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For “Send back to a pool”.",
    )

    class Meta:
        verbose_name = "SLA step"
        ordering = ["policy", "after_minutes", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} after {minutes_label(self.after_minutes)}"

    # Steps that take the lead from its owner: later steps never run for that owner.
    MOVES = frozenset({Action.REASSIGN, Action.POOL, Action.SKIM})

    def clean(self):
        if self.action == self.Action.POOL and self.pool_id is None:
            raise ValidationError({"pool": "Choose the pool the lead goes back to."})
        if self.action != self.Action.POOL:
            self.pool = None
        try:  # an admin inline's policy may be unsaved (no id yet), but it is set
            team_id = self.policy.team_id
        except SlaPolicy.DoesNotExist:
            team_id = None
        if self.pool is not None and team_id and self.pool.team_id not in (None, team_id):
            raise ValidationError(
                {"pool": f"{self.pool} is {self.pool.team}'s pool, not this policy's team's."}
            )


class PoolAgingPolicy(models.Model):
    """What happens to a lead nobody claims from a pool."""

    class Action(models.TextChoices):
        ROUTE = "route", "Route it by the rules (a rule that assigns pushes it to a rep)"
        SKIM = "skim", "Send to the manager's skim queue"

    pool = models.OneToOneField("pools.Pool", on_delete=models.CASCADE, related_name="+")
    after_minutes = models.PositiveIntegerField(help_text="Minutes unclaimed in the pool.")
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.SKIM)
    rule = models.ForeignKey(
        "routing.RoutingRule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"rule_set__state": "live"},  # the engine routes by live rules only
        help_text="For “Route it”: the rule to place it by (one that assigns or offers). "
        "Empty: the first rule that matches, as at intake.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "pool aging policy"
        verbose_name_plural = "pool aging policies"

    def __str__(self) -> str:
        return f"{self.pool} after {minutes_label(self.after_minutes)}"

    def clean(self):
        errors = {}
        if self.after_minutes is not None and self.after_minutes < 1:
            errors["after_minutes"] = "At least one minute: a pool that nobody can claim from."
        rule = self.rule if self.rule_id else None
        if rule is not None and self.action != self.Action.ROUTE:
            errors["rule"] = "Only “Route it” uses a rule: clear it, or choose Route it."
        elif rule is not None and not rule.picks_reps:
            errors["rule"] = (
                f"“{rule}” does not give the lead to a rep ({rule.get_action_display().lower()}):"
                " choose a rule that assigns or offers, or the skim queue action."
            )
        elif (
            rule is not None
            and self.pool_id
            and self.pool.team_id is not None
            and rule.team_id not in (None, self.pool.team_id)
        ):
            errors["rule"] = (
                f"“{rule}” routes to {rule.team}, not to {self.pool.team}, whose pool this is."
            )
        if errors:
            raise ValidationError(errors)


class Notification(models.Model):
    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder: a lead waits for its first touch"
        REASSIGNED_AWAY = "reassigned_away", "A lead was taken from you"
        REASSIGNED_TO = "reassigned_to", "A lead was reassigned to you"
        MANAGER_ALERT = "manager_alert", "Manager alert: a lead is not being worked"
        WEBHOOK_PAUSED = "webhook_paused", "A CRM webhook was paused after failing"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    lead = models.ForeignKey(
        "pools.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set by the e-mail task once sent (or muted), so a task run twice sends once.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_time"),
            # The bell's unread count.
            models.Index(
                fields=["user"], name="notification_unread", condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.text


class EmailMute(models.Model):
    """A user who wants no e-mail of this kind (the in-app notification still comes)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_mute_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user} · no e-mail: {self.get_kind_display()}"
