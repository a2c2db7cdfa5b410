"""Scoring rules: what screening adds to a lead's score."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from pools.models.fields import CAPTURED_FIELDS
from pools.models.sources import LeadSource


class ScoringRule(models.Model):
    """Field condition → points, e.g. company_size ≥ 1000 → +20."""

    class Operator(models.TextChoices):
        EQUALS = "eq", "equals"
        NOT_EQUALS = "ne", "does not equal"
        CONTAINS = "contains", "contains"
        IN = "in", "is one of (comma-separated)"
        GTE = "gte", "≥"
        LTE = "lte", "≤"
        GT = "gt", ">"
        LT = "lt", "<"
        IS_SET = "set", "is filled in"
        IS_BLANK = "blank", "is blank"

    name = models.CharField(max_length=100)
    field = models.CharField(
        max_length=100,
        help_text="A lead field (company_size, country, source, estimated_value, …) or "
        "attributes.<key> for a free attribute.",
    )
    operator = models.CharField(max_length=10, choices=Operator.choices, default=Operator.EQUALS)
    value = models.CharField(
        max_length=200, blank=True, help_text="Compared case-insensitively; numbers for ≥ ≤ > <."
    )
    points = models.IntegerField(
        help_text="Added to the score when the condition holds (negative to subtract)."
    )
    source = models.ForeignKey(
        LeadSource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scoring_rules",
        help_text="Only for this source; blank for every source.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]

    SCORABLE_FIELDS = ("source", *CAPTURED_FIELDS)

    def __str__(self) -> str:
        sign = "+" if self.points >= 0 else ""
        return f"{self.field} {self.get_operator_display()} {self.value} → {sign}{self.points}"

    def clean(self):
        errors = {}
        if self.field not in self.SCORABLE_FIELDS and not (
            self.field.startswith("attributes.") and len(self.field) > len("attributes.")
        ):
            errors["field"] = f"Use one of {', '.join(self.SCORABLE_FIELDS)}, or attributes.<key>."
        numeric = self.operator in ("gte", "lte", "gt", "lt")
        if numeric:
            try:
                float(self.value)
            except ValueError:
                errors["value"] = "This comparison needs a number."
        elif self.operator not in ("set", "blank") and not self.value.strip():
            errors["value"] = "Give the value to compare with."
        if errors:
            raise ValidationError(errors)
