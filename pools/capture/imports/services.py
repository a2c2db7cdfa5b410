"""Import jobs: upload → mapping → run (in Celery, pools.capture.imports.runs) → summary
and error report. This module is the job's life around its run: creating it from the
upload, starting it with its mapping, retrying a failed one, handing runs to workers,
and sweeping jobs whose run never arrived or died.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from leadroute.shared.on_commit import BROKER_DOWN
from pools.capture.imports import mapping as m
from pools.capture.imports.parsing import CsvProblem, csv_inspect, csv_rows
from pools.capture.imports.runs import LEASE_SECONDS, import_run
from pools.models import ImportJob, LeadSource
from pools.money import DECIMAL_COMMA, DECIMAL_POINT, decimal_mark_detect

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Runs that died (a worker killed, the file crashing it) before the job is failed for good.
MAX_ATTEMPTS = 3


class ImportRefused(ValueError):
    """The upload or the mapping cannot be used; the message says why."""


def import_job_create(*, user, source: LeadSource, filename: str, content: bytes) -> ImportJob:
    if len(content) > MAX_UPLOAD_BYTES:
        raise ImportRefused(f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
    try:
        info = csv_inspect(content)
    except CsvProblem as exc:
        raise ImportRefused(str(exc)) from None
    if info.total == 0:
        raise ImportRefused("The file has a header line but no rows.")
    return ImportJob.objects.create(
        created_by=user,
        source=source,
        filename=filename[:255],
        content=content,
        encoding=info.encoding,
        delimiter=info.delimiter,
        headers=info.headers,
        mapping=m.mapping_guess(info.headers),
        total=info.total,
    )


def import_job_start(
    *, job: ImportJob, mapping: dict[str, str], decimal_mark: str = ""
) -> ImportJob:
    """Save the mapping and queue the import. Only a job still waiting for its mapping
    starts (a double submit does not start it twice). Amounts are read with `decimal_mark`
    ("," or "."); blank detects it from the file's amounts (`money.decimal_mark_detect`)."""
    problems = m.mapping_problems(mapping, job.headers)
    if problems:
        raise ImportRefused(" ".join(problems))
    if decimal_mark not in ("", DECIMAL_COMMA, DECIMAL_POINT):
        raise ImportRefused("Choose a decimal comma or a decimal point for amounts.")
    if not decimal_mark:
        decimal_mark = _file_decimal_mark(job, mapping) or ""
    with transaction.atomic():
        started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.MAPPING).update(
            mapping=mapping, decimal_mark=decimal_mark, status=ImportJob.Status.QUEUED
        )
        if started:
            _publish_on_commit(job.pk)
    job.refresh_from_db()
    return job


def import_job_retry(*, job: ImportJob) -> bool:
    """Queue a failed import again, from where it stopped (its file is kept on failure).
    False if the job is not failed (a double click, or already retried)."""
    with transaction.atomic():
        retried = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).update(
            status=ImportJob.Status.QUEUED, failure="", attempts=0, finished_at=None
        )
        if retried:
            _publish_on_commit(job.pk)
    return bool(retried)


def import_jobs_sweep(*, now: datetime | None = None) -> int:
    """Re-publish every import whose run never arrived (the broker was down when it was
    queued) or died (its lease ran out), and fail for good one that died MAX_ATTEMPTS
    times. Safe to run often: a run takes the job's lease, so a second one does nothing.
    Returns how many jobs it touched."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=LEASE_SECONDS)
    jobs = ImportJob.objects.filter(
        Q(status=ImportJob.Status.QUEUED) | Q(status=ImportJob.Status.RUNNING),
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        Q(published_at__isnull=True) | Q(published_at__lt=stale),
    )
    touched = 0
    for job_id, attempts in jobs.values_list("pk", "attempts"):
        if attempts >= MAX_ATTEMPTS:
            # Still unleased: a run that started meanwhile keeps it.
            jobs.filter(pk=job_id).update(
                status=ImportJob.Status.FAILED,
                failure=f"The import stopped {attempts} times without finishing",
                finished_at=now,
                lease_until=None,
            )
        else:
            _publish(job_id)
        touched += 1
    return touched


def _publish_on_commit(job_id: int) -> None:
    transaction.on_commit(lambda: _publish(job_id))


def _publish(job_id: int) -> None:
    """Hand the run to a worker. A broker that cannot take it leaves the job queued for
    the sweep (the page says it waits for a worker), never a failed request."""
    ImportJob.objects.filter(pk=job_id).update(published_at=timezone.now())
    try:
        import_run.apply_async(args=[job_id])
    except BROKER_DOWN:
        log.exception("Could not publish import %s; the sweep will", job_id)


def _file_decimal_mark(job: ImportJob, mapping: dict[str, str]) -> str | None:
    """The mark the file's estimated_value column implies, if it implies one."""
    column = next((h for h, target in mapping.items() if target == "estimated_value"), None)
    if column is None:
        return None
    rows = csv_rows(
        bytes(job.content), encoding=job.encoding, delimiter=job.delimiter, headers=job.headers
    )
    try:
        return decimal_mark_detect(row.get(column, "") for _, row in rows)
    except ValueError as exc:
        raise ImportRefused(str(exc)) from None


@shared_task(name="pools.tasks.import_sweep")
def import_sweep() -> int:
    """Beat: imports whose run never arrived or died go out again (import_jobs_sweep)."""
    return import_jobs_sweep()
