"""Where leads come from: lead sources and the reservations of their leads."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Team
from pools.models.fields import (
    FORM_FIELDS,
    country_choices,
    default_form_fields,
    validate_form_fields,
)


class LeadSource(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sources",
        help_text="Team whose leads these are.",
    )
    qualification_threshold = models.IntegerField(
        default=0, help_text="Leads scoring below this are rejected as unqualified."
    )
    is_active = models.BooleanField(default=True)
    # The public capture form (/capture/<slug>/).
    form_enabled = models.BooleanField("web form enabled", default=False)
    form_fields = models.JSONField(
        default=default_form_fields,
        blank=True,
        validators=[validate_form_fields],
        help_text=f"Fields the web form asks for, in order. Any of: {', '.join(FORM_FIELDS)}.",
    )
    default_country = models.CharField(
        max_length=2,
        blank=True,
        choices=country_choices,
        help_text="Where a phone number given without + is read (the web form without a "
        "country field, or left empty; a CSV row without a country). Blank: such numbers "
        "are refused.",
    )
    form_title = models.CharField(max_length=120, blank=True, default="Talk to our team")
    form_intro = models.TextField(blank=True)
    thank_you_message = models.CharField(
        max_length=300,
        blank=True,
        default="Thank you! Someone from our team will be in touch soon.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SourceRestriction(models.Model):
    """Reserves a source's leads for some teams or reps: once a source has any restriction,
    only the listed teams' reps and the listed reps may claim its leads from a pool."""

    source = models.ForeignKey(LeadSource, on_delete=models.CASCADE, related_name="restrictions")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="rep",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & Q(user__isnull=True))
                | (Q(team__isnull=True) & Q(user__isnull=False)),
                name="source_restriction_team_xor_rep",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.team or self.user}"
