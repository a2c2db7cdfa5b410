"""Rule sets: the live rules the engine routes by, drafts to try a change on, and the
versions a promotion leaves behind.

Every rule belongs to exactly one set and exactly one set is live (a partial unique
constraint). Which rules are live is decided in one place — `RuleSet.objects.live()` and
`RoutingRule.objects.live()` beside it — so the engine can never route by a draft rule.
Promoting a draft (routing.simulator.promote) is one transaction: the live set becomes a
version, the draft becomes live, and a RuleSetPromotion records who did it, when, and what
changed. The engine takes the live set's row FOR SHARE before reading the rules
(routing.engine.facts.lead_context), so a batch routes wholly by the old set or wholly by
the new one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RuleSetQuerySet(models.QuerySet):
    def live(self) -> RuleSetQuerySet:
        return self.filter(state=RuleSet.State.LIVE)


class RuleSet(models.Model):
    class State(models.TextChoices):
        LIVE = "live", "Live"
        DRAFT = "draft", "Draft"
        VERSION = "version", "Former live version"

    LIVE_NAME = "Live rules"

    name = models.CharField(max_length=100, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    description = models.TextField(blank=True, help_text="What this set tries (for people).")
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        ordering = ["state", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=Q(state="live"), name="one_live_rule_set"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.state == self.State.LIVE


def live_rule_set_id() -> int:
    """The live set's id, created on first use (a fresh database, a test): a rule saved
    without a set joins the live rules, as every rule did before sets existed."""
    live_id = RuleSet.objects.live().values_list("pk", flat=True).first()
    if live_id is None:
        live_id = RuleSet.objects.get_or_create(
            state=RuleSet.State.LIVE, defaults={"name": RuleSet.LIVE_NAME}
        )[0].pk
    return live_id


class RuleSetPromotion(models.Model):
    """One switch of the live rules: `rule_set` became live, replacing `replaced` (a draft
    promoted, or a former version rolled back to). `diff` is what changed, as the confirm
    page showed it (routing.simulator.promote.rule_set_switch_preview), plus what was
    carried over."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="promotions")
    replaced = models.ForeignKey(
        RuleSet, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    was = models.CharField(
        max_length=10, choices=RuleSet.State.choices, help_text="The set's state before."
    )
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    promoted_at = models.DateTimeField(default=timezone.now)
    diff = models.JSONField(default=dict)

    class Meta:
        ordering = ["-promoted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.rule_set} live from {self.promoted_at:%Y-%m-%d %H:%M}"

    @property
    def is_rollback(self) -> bool:
        return self.was == RuleSet.State.VERSION


class RoutingRuleQuerySet(models.QuerySet):
    def live(self) -> RoutingRuleQuerySet:
        """The rules of the live set: the only rules the engine routes by."""
        return self.filter(rule_set__state=RuleSet.State.LIVE)

    def routing_order(self) -> RoutingRuleQuerySet:
        """The active rules in the order the router tries them."""
        return self.filter(is_active=True).order_by("priority", "id")
