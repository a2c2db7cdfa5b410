"""Inbound webhooks: a lead source's door for tools that post their own JSON shape (Google
Ads lead forms, form builders, automation tools). One hook per source and kind."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from pools.models.sources import LeadSource


class InboundHook(models.Model):
    """The secret is stored as a SHA-256 only (like API keys: 32 random bytes need no slow
    hash) and shown once, when it is made or rotated. The mapping (mapped JSON hooks only)
    reads "dotted path in the posted JSON → lead field"; pools.capture.webhooks.mapping
    says what a path and a target may be (the admin's forms check it with that)."""

    class Kind(models.TextChoices):
        GOOGLE_ADS = "google_ads", "Google Ads lead form"
        MAPPED_JSON = "mapped_json", "Mapped JSON"

    source = models.ForeignKey(LeadSource, on_delete=models.CASCADE, related_name="inbound_hooks")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    secret_prefix = models.CharField(max_length=12, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    secret_rotated_at = models.DateTimeField(default=timezone.now, editable=False)
    mapping = models.JSONField(
        default=dict,
        blank=True,
        help_text='Mapped JSON only: {"dotted.path.in.the.body": "lead field"}, e.g. '
        '{"contact.emails.0.value": "email", "id": "external_id", "answers.budget": '
        '"attributes.budget"}.',
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source__name", "kind"]
        verbose_name = "inbound webhook"
        constraints = [
            models.UniqueConstraint(fields=["source", "kind"], name="unique_hook_kind_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.source}"
