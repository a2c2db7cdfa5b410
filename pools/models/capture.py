"""Models of lead capture: API keys, idempotency keys and CSV import jobs."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from pools.models.lead import Lead
from pools.models.sources import LeadSource


class ApiKey(models.Model):
    """A bearer key for one lead source. Only a SHA-256 of the key is stored: keys are 32
    random bytes, so a fast hash is enough (nothing to brute-force), and a lookup by hash is
    one indexed query per request. The prefix is stored in clear so people can tell keys
    apart in the admin."""

    source = models.ForeignKey(LeadSource, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True, help_text="Who uses it, e.g. “website”.")
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.source})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key, remembered with the lead it produced. The unique
    constraint is what makes 20 simultaneous retries produce one lead."""

    source = models.ForeignKey(LeadSource, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "key"], name="unique_idempotency_key_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} → lead {self.lead_id}"


class ImportJob(models.Model):
    """One CSV upload. The file is kept in the database (not on a disk the web process
    has and the worker may not) until the import has run.

    A run holds a lease (`lease_until`, renewed at each progress save) so a redelivered
    task cannot run the file twice at once; the sweep re-publishes a job whose run was
    never received or died (`published_at`, `attempts`)."""

    class Status(models.TextChoices):
        MAPPING = "mapping", "Needs mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source = models.ForeignKey(LeadSource, on_delete=models.PROTECT, related_name="imports")
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    encoding = models.CharField(max_length=20)
    delimiter = models.CharField(max_length=1)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, blank=True, help_text="CSV column → lead field.")
    decimal_mark = models.CharField(
        max_length=1,
        blank=True,
        help_text="How the file writes amounts: “,” (1.234,56) or “.” (1,234.56); blank takes "
        "only amounts that read the same either way.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MAPPING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    failure = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def waiting_for_worker(self) -> bool:
        """Queued for a while and not picked up: no worker, or the broker was down."""
        return self.status == self.Status.QUEUED and (
            self.published_at is None or timezone.now() - self.published_at > timedelta(seconds=10)
        )


class ImportRowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(help_text="Line in the file (the header is line 1).")
    column = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="import_error_job_row")]

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


class ImportDuplicate(models.Model):
    """A row of an import that made no new lead because it repeats one: which lead, and
    what told them apart, so the person importing can check the match."""

    class MatchedBy(models.TextChoices):
        EMAIL = "email", "Same e-mail"
        PHONE = "phone", "Same phone (and no other name or e-mail)"
        EXTERNAL_ID = "external_id", "Same external id"
        SAME_ROW = "same_row", "Same row imported before"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="duplicate_rows")
    row = models.PositiveIntegerField(help_text="Line in the file (the header is line 1).")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    matched_by = models.CharField(max_length=12, choices=MatchedBy.choices)

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="import_duplicate_job_row")]

    def __str__(self) -> str:
        return f"row {self.row}: {self.get_matched_by_display()} as lead {self.lead_id}"
