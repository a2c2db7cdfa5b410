import functools
import zoneinfo
from datetime import UTC, datetime, time, timedelta

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .roles import Role, has_role

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def default_working_hours() -> dict:
    return {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}


@functools.cache  # the zone database does not change while a process runs
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_city(name: str) -> str:
    """ "America/Sao_Paulo" → "Sao Paulo": how pages name a time zone to people."""
    return name.rsplit("/", 1)[-1].replace("_", " ")


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(f"“{value}” is not an IANA time zone (e.g. Europe/Lisbon).")


def parse_clock(value: str) -> time:
    """ "HH:MM"; "24:00" is the end of the day (so a window can cover a whole day)."""
    return time.max if value == "24:00" else time.fromisoformat(value)


def validate_working_hours(value) -> None:
    """{"mon": [["09:00", "17:00"]], …}: each day a list of [start, end) windows."""
    if not isinstance(value, dict):
        raise ValidationError('Working hours must be an object like {"mon": [["09:00", "17:00"]]}.')
    for day, windows in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(f"“{day}” is not a weekday; use {', '.join(WEEKDAYS)}.")
        if not isinstance(windows, list):
            raise ValidationError(f"{day}: expected a list of [start, end] pairs.")
        for window in windows:
            try:
                start, end = (parse_clock(t) for t in window)
            except (TypeError, ValueError):
                raise ValidationError(f"{day}: “{window}” is not a [HH:MM, HH:MM] pair.") from None
            if start >= end:
                raise ValidationError(f"{day}: a window must end after it starts ({window}).")


def validate_currency(value: str) -> None:
    if value and not (len(value) == 3 and value.isascii() and value.isupper()):
        raise ValidationError(f"“{value}” is not an ISO 4217 code (three capitals, e.g. BRL).")


def validate_string_list(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError('Expected a list of strings, e.g. ["pt", "en"].')


def code_list(help_text: str) -> models.JSONField:
    """A JSON list of short codes (countries, languages, …): the admin edits it as one
    comma-separated line (`accounts.admin.PlainTextEditing`)."""
    return models.JSONField(
        default=list, blank=True, validators=[validate_string_list], help_text=help_text
    )


class User(AbstractUser):
    """Custom from day one; roles are groups (see accounts.roles)."""

    def has_role(self, role: Role) -> bool:
        return has_role(self, role)

    @property
    def is_rep(self) -> bool:
        return has_role(self, Role.REP)

    @property
    def is_manager(self) -> bool:
        return has_role(self, Role.MANAGER)

    @property
    def is_admin_role(self) -> bool:
        return has_role(self, Role.ADMIN)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Caps(models.Model):
    """Limits on how many leads a rep takes. Blank on a rep means "the team's value";
    blank on the team means no limit."""

    max_per_day = models.PositiveIntegerField(null=True, blank=True, help_text="New leads a day.")
    max_per_week = models.PositiveIntegerField(null=True, blank=True)
    max_per_month = models.PositiveIntegerField(null=True, blank=True)
    max_open_untouched = models.PositiveIntegerField(
        null=True, blank=True, help_text="Assigned leads not yet touched."
    )
    max_claims_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Leads claimed from pools a day."
    )
    max_claims_per_week = models.PositiveIntegerField(null=True, blank=True)

    CAP_FIELDS = (
        "max_per_day",
        "max_per_week",
        "max_per_month",
        "max_open_untouched",
        "max_claims_per_day",
        "max_claims_per_week",
    )

    class Meta:
        abstract = True


class Team(Caps):
    class NumberFormat(models.TextChoices):
        BROWSER = "", "Each person's browser language"
        DECIMAL_COMMA = ",", "1.234,56 (decimal comma)"
        DECIMAL_POINT = ".", "1,234.56 (decimal point)"

    name = models.CharField(max_length=100, unique=True)
    managers = models.ManyToManyField(User, related_name="managed_teams", blank=True)
    number_format = models.CharField(
        max_length=1,
        choices=NumberFormat.choices,
        default=NumberFormat.BROWSER,
        blank=True,
        help_text="How the team's people type amounts. An amount that reads differently "
        "in the other format (12.500, 12,500) is refused, never guessed.",
    )
    currency = models.CharField(
        max_length=3,
        blank=True,
        help_text="ISO 4217 code shown beside amounts, e.g. BRL.",
        validators=[validate_currency],
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Territory(models.Model):
    """A territory matches a lead by any of its lists (country, state, postal prefix, area
    code); an empty list matches nothing, so "Brazil" is just countries=["BR"]."""

    name = models.CharField(max_length=100, unique=True)
    countries = code_list("ISO 3166 alpha-2 codes, comma-separated, e.g. BR, PT.")
    states = code_list("State or region codes, comma-separated, e.g. SP, RJ.")
    postal_prefixes = code_list("Postal-code prefixes, comma-separated, e.g. 01, 02.")
    area_codes = code_list("Phone area codes, comma-separated, e.g. 11, 21.")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "territories"

    def __str__(self) -> str:
        return self.name


class RepProfile(Caps):
    class Availability(models.TextChoices):
        AVAILABLE = "available", "Available"
        BUSY = "busy", "Busy"
        AWAY = "away", "Away"
        OFFLINE = "offline", "Offline"

    class Seniority(models.IntegerChoices):
        JUNIOR = 1, "Junior"
        MID = 2, "Mid"
        SENIOR = 3, "Senior"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="rep_profile")
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="members", null=True, blank=True
    )
    territories = models.ManyToManyField(Territory, related_name="reps", blank=True)
    languages = code_list("ISO 639-1 codes, comma-separated, e.g. pt, en.")
    industries = code_list("Industries as leads name them, comma-separated, e.g. saas, retail.")
    company_sizes = code_list("Company-size bands, comma-separated, e.g. 1-10, 11-50.")
    products = code_list("Products as leads name them, comma-separated.")
    seniority = models.PositiveSmallIntegerField(choices=Seniority.choices, default=Seniority.MID)
    weight = models.PositiveSmallIntegerField(default=1, help_text="Share in weighted routing.")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    working_hours = models.JSONField(
        default=default_working_hours,
        blank=True,
        validators=[validate_working_hours],
        help_text="In the rep's time zone, a line per day: “mon: 09:00-12:00, 13:00-18:00”. "
        "A day left out, or “off”, is not worked.",
    )
    availability = models.CharField(
        max_length=10, choices=Availability.choices, default=Availability.AVAILABLE
    )
    availability_since = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user.display_name} ({self.team or 'no team'})"

    @property
    def time_zone_city(self) -> str:
        return zone_city(self.time_zone)

    def local_time(self, when: datetime) -> datetime:
        return when.astimezone(zoneinfo.ZoneInfo(self.time_zone))

    def works_at(self, when: datetime) -> bool:
        """Inside one of the rep's weekly windows, in the rep's own time zone."""
        local = self.local_time(when)
        windows = (self.working_hours or {}).get(WEEKDAYS[local.weekday()], [])
        now = local.time()
        return any(parse_clock(s) <= now < parse_clock(e) for s, e in windows)

    def working_deadline(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` of the rep's working time have passed since `start`: the
        clock runs only inside their weekly windows, in their own time zone (a lead that
        arrives on Friday evening is due on Monday morning). A rep with no windows at all
        is timed by the wall clock."""
        zone = zoneinfo.ZoneInfo(self.time_zone)
        left = timedelta(minutes=minutes)
        hours = self.working_hours or {}
        if not any(hours.get(day) for day in WEEKDAYS) or left <= timedelta(0):
            return start + left
        day = start.astimezone(zone).date()
        while True:  # ends: some weekday has a window, so every week gives working time
            for s, e in sorted(hours.get(WEEKDAYS[day.weekday()], [])):
                # Bounds in UTC, so a DST change inside a window counts its real length.
                opens = datetime.combine(day, parse_clock(s), zone).astimezone(UTC)
                closes = (
                    datetime.combine(day + timedelta(days=1), time.min, zone)
                    if e == "24:00"
                    else datetime.combine(day, parse_clock(e), zone)
                ).astimezone(UTC)
                begin = max(opens, start)
                if begin >= closes:
                    continue
                if begin + left <= closes:
                    return begin + left
                left -= closes - begin
            day += timedelta(days=1)

    def effective_cap(self, field: str) -> int | None:
        """The rep's own limit, else the team's; None means unlimited."""
        own = getattr(self, field)
        if own is not None:
            return own
        return getattr(self.team, field) if self.team_id else None


class OutOfOffice(models.Model):
    profile = models.ForeignKey(RepProfile, on_delete=models.CASCADE, related_name="out_of_office")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = "out-of-office period"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="ooo_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d} → {self.ends_at:%Y-%m-%d}"


class Quota(models.Model):
    """A target a rep is measured against for each week or month of their own (their time
    zone; accounts.periods). A row without a rep is the team's default for every member; a
    row naming a rep overrides that default for the same metric and period. How each metric
    is counted is `pools.work.quotas` (the leads live there)."""

    class Metric(models.TextChoices):
        LEADS_WORKED = "leads_worked", "Leads worked"
        TOUCHES = "touches", "Touches"
        DEALS_WON = "deals_won", "Deals won"
        WON_VALUE = "won_value", "Won value"

    class Period(models.TextChoices):
        WEEK = "week", "Week"
        MONTH = "month", "Month"

    # Counts are whole numbers; only the won value takes cents.
    COUNTED = frozenset({Metric.LEADS_WORKED, Metric.TOUCHES, Metric.DEALS_WON})

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="quotas")
    rep = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quotas",
        help_text="Blank: the team's default for every rep; a rep: their own target instead.",
    )
    metric = models.CharField(max_length=20, choices=Metric.choices)
    period = models.CharField(max_length=5, choices=Period.choices)
    target = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Per week or month; a whole number except for the won value.",
    )

    class Meta:
        ordering = ["team", "rep", "metric", "period"]
        constraints = [
            # One team default and one override per rep for each metric and period (a null
            # rep counts as a value, so two team defaults collide too).
            models.UniqueConstraint(
                fields=["team", "rep", "metric", "period"],
                nulls_distinct=False,
                name="one_quota_per_metric_period",
            ),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="quota_target_positive"),
        ]

    def __str__(self) -> str:
        who = self.rep.display_name if self.rep_id else f"{self.team} (team default)"
        return f"{who}: {self.target_label} {self.get_metric_display().lower()} a {self.period}"

    @property
    def target_label(self) -> str:
        return f"{self.target:.0f}" if self.metric in self.COUNTED else f"{self.target:.2f}"

    def unique_error_message(self, model_class, unique_check):
        # The one-per-metric-and-period constraint, in words (the admin shows it).
        if model_class is Quota and tuple(unique_check) == ("team", "rep", "metric", "period"):
            who = self.rep.display_name if self.rep_id else f"{self.team} (team default)"
            return ValidationError(
                f"{who} already has a {self.Metric(self.metric).label.lower()} quota a "
                f"{self.period}; change that one instead.",
                code="unique_together",
            )
        return super().unique_error_message(model_class, unique_check)

    def clean(self) -> None:
        errors = {}
        if self.target is not None:
            if self.target <= 0:
                errors["target"] = "The target must be more than 0."
            elif self.metric in self.COUNTED and self.target != int(self.target):
                errors["target"] = (
                    f"{self.Metric(self.metric).label} are counted: give a whole number."
                )
        if self.rep_id and self.team_id:
            profile = RepProfile.objects.filter(user_id=self.rep_id).only("team_id").first()
            if profile is None or profile.team_id != self.team_id:
                errors["rep"] = (
                    f"{self.rep.display_name} is not a rep of {self.team}: an override is "
                    "for a member of the team."
                )
        if errors:
            raise ValidationError(errors)
