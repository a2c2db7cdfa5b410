"""A replay kept: who asked for it, over which period, its progress, and its results — the
live rules' and the draft's placement of every lead beside what really happened.
Re-exported by routing.models; other models are named by label only.

The per-lead rows are a child table rather than one JSON document: the run page filters
and pages them (changed only, a rep, an outcome) and the CSV streams them, both in SQL.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

# A running replay reports every few seconds: this long without it, its page says so.
SILENT_MINUTES = 2

OUTCOMES = (
    ("assigned", "Assigned to a rep"),
    ("pooled", "Placed in a pool"),
    ("skimming", "Sent to the skim queue"),
    ("offered", "Offered live"),
)


class SimulationRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (State.DONE, State.FAILED, State.CANCELLED)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The sets may be renamed, promoted or deleted later: the names say what was replayed.
    draft = models.ForeignKey(
        "routing.RuleSet", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    draft_name = models.CharField(max_length=100)
    live = models.ForeignKey(
        "routing.RuleSet", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    live_name = models.CharField(max_length=100, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: every team's leads.",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)  # leads replayed, both sets counted
    total = models.PositiveIntegerField(default=0)
    # The last sign of life of the run (taken, progress): the sweep fails a run silent for
    # longer than SIMULATOR_STALE_MINUTES (a killed worker).
    progress_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # {"really": {...}, "live": {...}, "draft": {...}}: per_rep, outcomes, pools, cap_hits,
    # fallbacks, nobody, same_as_recorded, seconds (routing.simulator.runs._totals)
    totals = models.JSONField(default=dict, blank=True)
    assumptions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["progress_at"],
                condition=Q(state__in=["queued", "running"]),
                name="simulation_unfinished",
            )
        ]

    def __str__(self) -> str:
        return f"Replay {self.pk}: {self.draft_name}"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def last_moment(self):
        """The period's last instant (`end` is exclusive): its date is the last day."""
        return self.end - timedelta(microseconds=1)

    @property
    def phase(self) -> str:
        """Which set the worker is replaying: the live rules first, then the draft."""
        return "the live rules" if 2 * self.done < self.total else "the draft"

    @property
    def silent_minutes(self) -> int:
        """Whole minutes without a sign of life while unfinished and taken (0: alive)."""
        if self.state != self.State.RUNNING or self.progress_at is None:
            return 0
        minutes = int((timezone.now() - self.progress_at).total_seconds() // 60)
        return minutes if minutes >= SILENT_MINUTES else 0

    @property
    def took(self) -> str:
        if not (self.started_at and self.finished_at):
            return ""
        seconds = (self.finished_at - self.started_at).total_seconds()
        if seconds < 60:
            return f"{seconds:.1f} s"
        return f"{int(seconds // 60)} min {round(seconds % 60)} s"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0


class SimulationLead(models.Model):
    """One replayed lead: where it really went, where the live rules and the draft put it."""

    run = models.ForeignKey(SimulationRun, on_delete=models.CASCADE, related_name="leads")
    lead = models.ForeignKey("pools.Lead", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    really_to = models.CharField(max_length=10, blank=True)
    really_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    live_to = models.CharField(max_length=10, choices=OUTCOMES)
    live_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    live_pool = models.ForeignKey(
        "pools.Pool", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    live_rule = models.CharField(max_length=100, blank=True)
    live_fallback = models.BooleanField(default=False)
    live_nobody = models.BooleanField(default=False)
    live_capped = ArrayField(models.IntegerField(), default=list, blank=True)
    draft_to = models.CharField(max_length=10, choices=OUTCOMES)
    draft_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    draft_pool = models.ForeignKey(
        "pools.Pool", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    draft_rule = models.CharField(max_length=100, blank=True)
    draft_fallback = models.BooleanField(default=False)
    draft_nobody = models.BooleanField(default=False)
    draft_capped = ArrayField(models.IntegerField(), default=list, blank=True)
    # The draft placed it otherwise than the live rules (another outcome, rep or pool).
    changed = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "lead_id"]
        indexes = [
            models.Index(fields=["run", "at", "lead"], name="simulation_lead_order"),
            models.Index(
                fields=["run", "at", "lead"],
                condition=Q(changed=True),
                name="simulation_lead_changed",
            ),
        ]

    def __str__(self) -> str:
        return f"Replay {self.run_id}, lead {self.lead_id}"
