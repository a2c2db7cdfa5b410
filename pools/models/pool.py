"""A shared pool that reps pull leads from, in preview or blind mode."""

from django.db import models
from django.db.models import Q

from accounts.models import Team, Territory
from pools.models.fields import PREVIEWABLE_FIELDS


class Pool(models.Model):
    class Mode(models.TextChoices):
        PREVIEW = "preview", "Preview (reps see details, cherry-pick)"
        BLIND = "blind", "Blind (nothing identifying until claimed)"

    class Order(models.TextChoices):
        OLDEST = "oldest", "Oldest first"
        SCORE = "score", "Highest score first"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.PREVIEW)
    order = models.CharField(max_length=10, choices=Order.choices, default=Order.OLDEST)
    # Scope: the team's reps may use it; with a territory, only reps covering it.
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="pools", null=True, blank=True
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.SET_NULL, related_name="pools", null=True, blank=True
    )
    is_team_default = models.BooleanField(
        default=False, help_text="Where the team's leads go when nothing else routes them."
    )
    preview_fields = models.JSONField(
        default=list,
        blank=True,
        help_text="Fields shown before a claim (preview mode; blind pools show only their "
        f"non-identifying ones). Any of: {', '.join(PREVIEWABLE_FIELDS)}.",
    )
    is_active = models.BooleanField(default=True)
    # Pull restrictions (enforced in pools.pull.claim_functions; caps on accounts.Caps).
    claim_cooldown_hours = models.PositiveIntegerField(
        default=24,
        help_text="A previous owner may not re-claim a lead for this long after it "
        "went back to the pool (0 = no cooldown).",
    )
    update_first_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="“Update your leads first”: a rep holding a lead assigned longer than this "
        "without a disposition may not claim more. Blank = off.",
    )
    calling_hours_start = models.TimeField(
        null=True,
        blank=True,
        help_text="Claims allowed only while the lead's local time "
        "(from its country/state) is inside this window.",
    )
    calling_hours_end = models.TimeField(null=True, blank=True)
    calling_weekdays_only = models.BooleanField(
        default=False, help_text="Also require a weekday (Mon–Fri) in the lead's local time."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(calling_hours_start__isnull=True) & Q(calling_hours_end__isnull=True))
                | (
                    Q(calling_hours_start__isnull=False)
                    & Q(calling_hours_end__isnull=False)
                    & Q(calling_hours_end__gt=models.F("calling_hours_start"))
                ),
                name="pool_calling_hours_window",
            ),
            models.UniqueConstraint(
                fields=["team"], condition=Q(is_team_default=True), name="one_default_pool_per_team"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_calling_hours(self) -> bool:
        return self.calling_hours_start is not None
