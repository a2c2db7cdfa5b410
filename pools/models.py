from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Team, Territory

from .lifecycle import OWNED_STATES, LeadState

PROTECTED_FIELDS = ("first_name", "last_name", "email", "phone", "company", "title")
# What a lead says about the buyer's company and interest, beside the contact fields.
COMPANY_FIELDS = (
    "industry",
    "company_size",
    "country",
    "state",
    "city",
    "postal_code",
    "language",
    "product_interest",
    "estimated_value",
)
# Fields a preview pool may be configured to show (protected ones included: a preview pool
# is the manager's explicit choice to show them).
PREVIEWABLE_FIELDS = (*PROTECTED_FIELDS, *COMPANY_FIELDS, "source", "campaign", "score")
# Lead fields a source can send with a lead (the capture API's body; scoring rules read
# them too). The rest is filled by screening and routing.
CAPTURED_FIELDS = (*PROTECTED_FIELDS, *COMPANY_FIELDS, "campaign", "landing_page", "external_id")

# Lead fields a web form may ask for (the rest of the lead is filled by screening/routing).
FORM_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "company_size",
    "country",
    "state",
    "city",
    "postal_code",
    "product_interest",
    "estimated_value",
    "message",
)


def default_form_fields() -> list:
    return ["first_name", "last_name", "email", "phone", "company"]


def validate_form_fields(value) -> None:
    if not isinstance(value, list) or not all(v in FORM_FIELDS for v in value):
        raise ValidationError(f"Expected a list of field names from: {', '.join(FORM_FIELDS)}.")
    if "email" not in value and "phone" not in value:
        raise ValidationError("The form must ask for an e-mail or a phone number.")


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
    # Pull restrictions (enforced in pools.claiming; caps live on accounts.Caps).
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


class Lead(models.Model):
    # Contact (protected in blind pools)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="E.164, e.g. +5511912345678.")
    company = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=100, blank=True)
    # Firmographics
    industry = models.CharField(max_length=100, blank=True)
    company_size = models.CharField(max_length=20, blank=True, help_text="Band, e.g. 11-50.")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2.")
    state = models.CharField("state/region", max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=10, blank=True, help_text="ISO 639-1.")
    product_interest = models.CharField(max_length=100, blank=True)
    estimated_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Origin
    source = models.ForeignKey(
        LeadSource, on_delete=models.PROTECT, related_name="leads", null=True, blank=True
    )
    campaign = models.CharField(max_length=100, blank=True)
    landing_page = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    score = models.IntegerField(default=0)
    score_breakdown = models.JSONField(default=list, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    # Where the lead is
    status = models.CharField(
        "state", max_length=12, choices=LeadState.choices, default=LeadState.NEW
    )
    # No index of their own: the composite indexes below start with them.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_leads",
        null=True,
        blank=True,
        db_index=False,
    )
    pool = models.ForeignKey(
        Pool, on_delete=models.PROTECT, related_name="leads", null=True, blank=True, db_index=False
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        related_name="leads",
        null=True,
        blank=True,
        help_text="Team responsible for the lead.",
        db_index=False,
    )
    rejection_reason = models.CharField(max_length=200, blank=True)
    lost_reason = models.CharField(max_length=200, blank=True)
    won_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Timestamps
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    pooled_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Owner set if and only if the lead is in an owned state.
            models.CheckConstraint(
                condition=(Q(status__in=OWNED_STATES) & Q(owner__isnull=False))
                | (~Q(status__in=OWNED_STATES) & Q(owner__isnull=True)),
                name="lead_owner_iff_owned",
            ),
            # Pool set if and only if the lead sits in it.
            models.CheckConstraint(
                condition=(Q(status=LeadState.POOLED) & Q(pool__isnull=False))
                | (~Q(status=LeadState.POOLED) & Q(pool__isnull=True)),
                name="lead_pool_iff_pooled",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="unique_external_id_per_source",
            ),
        ]
        # Every claim, routing and state change rewrites a lead's index entries (it changes
        # indexed columns, so the update is never HOT): only indexes a query needs. Plain
        # indexes, not `db_index` (which adds a LIKE-pattern twin on PostgreSQL): lookups
        # by e-mail, phone and state are exact.
        indexes = [
            models.Index(fields=["status"], name="lead_status"),
            models.Index(fields=["email"], name="lead_email"),
            models.Index(fields=["phone"], name="lead_phone"),
            models.Index(fields=["owner", "status"], name="lead_owner_status"),
            models.Index(fields=["pool", "status", "pooled_at", "id"], name="lead_pool_order"),
            # "Highest score first" pools: claim next and the pool page walk this index.
            models.Index(
                fields=["pool", "status", "-score", "pooled_at", "id"], name="lead_pool_score"
            ),
            models.Index(fields=["team", "status"], name="lead_team_status"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.company or self.email or f"Lead #{self.pk}"

    @property
    def state_label(self) -> str:
        return LeadState(self.status).label


class LeadEvent(models.Model):
    """Append-only timeline: every state change, assignment, touch, disposition and note."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        TRANSITION = "transition", "State change"
        ASSIGNED = "assigned", "Assigned"
        CLAIMED = "claimed", "Claimed"
        RELEASED = "released", "Released to pool"
        TOUCH = "touch", "Touch"
        DISPOSITION = "disposition", "Disposition"
        NOTE = "note", "Note"
        INQUIRY = "inquiry", "Repeat inquiry"
        ROUTED = "routed", "Routed"

    # No index of its own (nor has actor): the composite indexes below start with them.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_state = models.CharField(max_length=12, choices=LeadState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=LeadState.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lead_events",
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Owner after the event, where it changed hands.",
    )
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["lead", "created_at"], name="event_lead_time"),
            # Claim caps count a rep's claims today / this week.
            models.Index(fields=["actor", "kind", "created_at"], name="event_actor_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · lead {self.lead_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Lead events are append-only.")
        super().save(*args, **kwargs)


from .capture_models import ApiKey, IdempotencyKey, ImportJob, ImportRowError, ScoringRule  # noqa: E402,F401,I001
