"""An offer per lead and step, and each recipient's answer. Defined here and re-exported by
routing.models; they name other models by label only, so this module imports no model."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Offer(models.Model):
    """One step of a lead's live offer: who it is offered to, until when, and how it ended.

    A plan's steps (a sequential pass, a cascade, waves) are offers of one `series`; each
    row carries the whole plan, so moving on needs no other row. Exactly one open offer per
    lead (a partial unique index), and an open offer is decided once: accept, decline and
    expiry are each a conditional UPDATE on `state = 'open'`."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined by everyone"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    lead = models.ForeignKey("pools.Lead", on_delete=models.CASCADE, related_name="offers")
    rule = models.ForeignKey(
        "routing.RoutingRule", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    series = models.UUIDField(default=uuid.uuid4)
    method = models.CharField(max_length=20)
    step = models.PositiveSmallIntegerField(default=0, help_text="Index into the plan's steps.")
    label = models.CharField(max_length=100, blank=True, help_text="“Pass 2, rep 1 of 3”.")
    recipient_ids = ArrayField(models.BigIntegerField())
    # {"steps": [{"reps": [ids], "seconds": n, "label": str}], "visited": [rule ids]}
    plan = models.JSONField(default=dict)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    winner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(
        max_length=200, blank=True, help_text="Why it was withdrawn (the lead moved another way)."
    )

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(state="open"), name="one_open_offer_per_lead"
            ),
            models.CheckConstraint(
                condition=Q(state="accepted", winner__isnull=False)
                | (~Q(state="accepted") & Q(winner__isnull=True)),
                name="offer_winner_iff_accepted",
            ),
        ]
        indexes = [
            # The sweep walks open offers by due time; closed ones never enter this index.
            models.Index(fields=["expires_at"], condition=Q(state="open"), name="offer_open_due"),
            models.Index(fields=["lead", "sent_at"], name="offer_lead_time"),
        ]

    def __str__(self) -> str:
        return f"Offer {self.pk} of lead {self.lead_id} ({self.state})"


class OfferResponse(models.Model):
    """A recipient's answer to an offer (a recipient who never answered has no row)."""

    class Response(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="responses")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    response = models.CharField(max_length=10, choices=Response.choices)
    responded_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=200, blank=True, help_text="Why they declined.")

    class Meta:
        ordering = ["responded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "rep"], name="one_response_per_recipient")
        ]
        indexes = [
            # Shark tank reads a rep's recent accepts for their time to accept.
            models.Index(fields=["rep", "response", "responded_at"], name="response_rep_time"),
        ]

    def __str__(self) -> str:
        return f"{self.rep_id} {self.response} offer {self.offer_id}"
