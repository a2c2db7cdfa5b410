"""A CRM's subscription to lead events, and the outbox of deliveries to it."""

from __future__ import annotations

import secrets

from django.contrib.postgres.fields import ArrayField
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .events import WebhookType


def secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    name = models.CharField(max_length=100, help_text="Who receives it, e.g. “Salesforce sync”.")
    url = models.URLField(
        "URL",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Where each event is POSTed as JSON (http or https).",
    )
    events = ArrayField(
        models.CharField(max_length=40, choices=WebhookType.choices),
        help_text="The events this receiver wants.",
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only this team's leads. Empty: every team's.",
    )
    # Signs every delivery (HMAC-SHA256). After a rotation the previous one signs too,
    # beside it, until `previous_secret_until`, so a receiver can switch without a gap.
    secret = models.CharField(max_length=100, default=secret_new, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    paused_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Paused: events are still recorded, and go out in order once resumed.",
    )
    paused_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_failure_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "webhook subscription"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def signing_secrets(self, now) -> list[str]:
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDelivery(models.Model):
    """One event to one subscription: the outbox row written in the transaction of the
    change it reports, then its attempts. Append-only but for its delivery state."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"  # leased by a drain until `next_attempt_at`
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.ForeignKey(
        "pools.LeadEvent", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    lead = models.ForeignKey("pools.Lead", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40, choices=WebhookType.choices)
    # The lead as it was right after the change (written by the outbox's INSERT … SELECT).
    lead_snapshot = models.JSONField(default=dict)
    # The exact JSON sent, fixed at the first attempt: retries and resends send it again.
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # After a failed attempt past this, no more tries (WEBHOOK_RETRY_HOURS after it was
    # recorded, or resent).
    give_up_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.FloatField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    OPEN = (Status.PENDING, Status.SENDING)

    class Meta:
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event", "type"], name="webhook_delivery_once"
            )
        ]
        indexes = [
            # The drain's "due now" scan; partial, so delivered history costs no entries.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_delivery_due",
                condition=Q(status__in=["pending", "sending"]),
            ),
            # Per-lead order: "is an earlier delivery of this lead to this receiver open?"
            models.Index(
                fields=["subscription", "lead", "id"],
                name="webhook_delivery_lead_order",
                condition=Q(status__in=["pending", "sending"]),
            ),
            # The admin's log of a subscription, newest first; the prune's age scan.
            models.Index(fields=["subscription", "-id"], name="webhook_delivery_log"),
            models.Index(fields=["created_at"], name="webhook_delivery_age"),
        ]

    def __str__(self) -> str:
        return f"{self.type} · lead {self.lead_id} → {self.subscription}"

    @property
    def event_id_public(self) -> str:
        """The id receivers dedupe by: the same for every attempt, resend and receiver."""
        return public_event_id(self.event_id, self.type)


def public_event_id(event_id: int, type_: str) -> str:
    return f"evt_{event_id}_{type_.removeprefix('lead.')}"
