"""An import job's run: taking its lease, reading the file's rows in chunks, capturing
each, saving progress, and finishing the job (done, or failed with why).

Each row is captured in its own transaction through `pools.capture.services.lead_capture`, the
same path as the API and the web form, so dedupe, idempotency and the hand-off to
screening behave identically. A bad row is reported and skipped; it never aborts the
others. Re-importing a file creates nothing new: each row carries an idempotency key
made from its content (and its external id, when mapped, also matches).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from itertools import islice
from traceback import format_tb

from celery import shared_task
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from pools.capture import normalise
from pools.capture.imports import mapping as m
from pools.capture.imports.parsing import csv_rows
from pools.capture.services import CREATED, MERGED, external_id_key, lead_capture
from pools.models import IdempotencyKey, ImportDuplicate, ImportJob, ImportRowError, Lead
from pools.money import money_parse
from pools.signals import leads_waiting_on_commit

log = logging.getLogger(__name__)
PROGRESS_EVERY_ROWS = 200
CHUNK_ROWS = 100
PROGRESS_EVERY_SECONDS = 0.5
# A run renews its lease at every progress save (at least every PROGRESS_EVERY_SECONDS
# while rows flow); one that has not for LEASE_SECONDS is dead, and its job is the sweep's.
LEASE_SECONDS = 120
_MAX_LENGTHS = {
    f.name: f.max_length for f in Lead._meta.get_fields() if getattr(f, "max_length", None)
}


class LeaseLost(Exception):
    """This run's lease ran out and another run took the job: this one must stop, having
    written nothing more."""


def _lease_take(job_id: int) -> uuid.UUID | None:
    """Take the job's run, if nobody holds it: one conditional UPDATE, so of two
    deliveries of the task only one runs the file. Returns the lease's token, which every
    later write of this run names (a run that stalled past its lease finds it gone)."""
    now, token = timezone.now(), uuid.uuid4()
    taken = ImportJob.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        pk=job_id,
        status__in=(ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
    ).update(
        status=ImportJob.Status.RUNNING,
        started_at=Coalesce(F("started_at"), now),
        lease_until=now + timedelta(seconds=LEASE_SECONDS),
        lease_token=token,
        attempts=F("attempts") + 1,
    )
    return token if taken else None


def row_to_capture(
    row: dict[str, str],
    mapping: dict[str, str],
    *,
    decimal_mark: str | None = None,
    default_country: str = "",
):
    """(fields, attributes, problems) for one CSV row; problems are (column, reason).
    Amounts are read in the file's `decimal_mark` (the job's choice); without one, an
    amount that reads differently with either mark is a problem, not a guess. A phone
    without + is read in the row's country, else the source's `default_country`, as the
    web form reads one."""
    fields: dict = {}
    attributes: dict = {}
    problems: list[tuple[str, str]] = []
    columns = {target: header for header, target in mapping.items() if target not in m.MULTI}

    def clean(target, func):
        header = columns.get(target)
        if header is None:
            return
        try:
            value = func(row.get(header, ""))
        except ValueError as exc:
            # The report outlives the file: it names the row, not the person's contact.
            reason = str(exc)
            if target in ("email", "phone"):
                reason = normalise.personal_scrub(reason, quoted=True)
            problems.append((header, reason))
            return
        if value not in ("", None):
            fields[target] = value

    clean("country", normalise.country_normalise)
    clean("email", normalise.email_normalise)
    clean(
        "phone",
        lambda v: normalise.phone_normalise(v, country=fields.get("country") or default_country),
    )
    clean(
        "estimated_value",
        lambda v: None if normalise.blank(v) else money_parse(v, decimal_mark=decimal_mark),
    )
    clean(m.RECEIVED_AT, normalise.date_parse)
    for target in columns:
        if (
            target in _MAX_LENGTHS
            and target not in fields
            and target not in ("country", "email", "phone")
        ):
            clean(target, lambda v, n=_MAX_LENGTHS[target]: normalise.text_clean(v, max_length=n))
    full = columns.get("full_name") and normalise.text_clean(
        row.get(columns["full_name"]), max_length=201
    )
    if full and "first_name" not in fields and "last_name" not in fields:
        fields["first_name"], fields["last_name"] = normalise.name_split(full)
    for header, target in mapping.items():
        if target == m.ATTRIBUTE and not normalise.blank(row.get(header)):
            attributes[header[:100]] = normalise.chars_clean(row[header].strip())[:1000]
    if not problems and not ({"email", "phone", "external_id"} & set(fields)):
        problems.append(
            ("", "No e-mail, phone or external id: the lead could not be told apart from others.")
        )
    received = fields.pop(m.RECEIVED_AT, None)
    if received is not None:
        fields["created_at"] = datetime(received.year, received.month, received.day, tzinfo=UTC)
    return fields, attributes, problems


def _row_key(row: dict[str, str]) -> str:
    digest = hashlib.sha256(json.dumps(row, sort_keys=True).encode("utf-8", "replace"))
    return "row:" + digest.hexdigest()[:40]


def import_job_run(*, job_id: int) -> str:
    """Run (or resume) an import. Safe to run twice: a finished job is left alone, and a
    job interrupted mid-file resumes after its last saved progress point (rows after that
    point are replayed, harmlessly, by their idempotency keys)."""
    token = _lease_take(job_id)
    if token is None:
        job = ImportJob.objects.filter(pk=job_id).only("status").first()
        return job.status if job else "missing"  # finished, not started, or held by a run
    job = ImportJob.objects.select_related("source", "created_by").get(pk=job_id)
    resume_after = job.processed
    ImportRowError.objects.filter(job=job, row__gt=resume_after + 1).delete()
    ImportDuplicate.objects.filter(job=job, row__gt=resume_after + 1).delete()
    batch = _Batch(job, token)
    ours = ImportJob.objects.filter(pk=job.pk, lease_token=token)
    _commit_without_waiting_for_disk(True)
    rows = csv_rows(
        bytes(job.content),
        encoding=job.encoding,
        delimiter=job.delimiter,
        headers=job.headers,
        start_after=resume_after,
    )
    try:
        while chunk := list(islice(rows, CHUNK_ROWS)):
            _import_chunk(job, chunk, batch)
            if batch.due():
                batch.flush()
        batch.flush()
    except LeaseLost:
        log.warning("Import %s: another run took over after this one's lease ran out", job.pk)
        return "lease lost"
    except Exception as exc:
        # The stack, and the message with contacts masked: a driver's error may quote a row.
        failure = normalise.personal_scrub(f"{type(exc).__name__}: {exc}")
        log.error(
            "Import %s failed: %s\n%s", job.pk, failure, "".join(format_tb(exc.__traceback__))
        )
        with suppress(LeaseLost):
            batch.flush()
        ours.update(
            status=ImportJob.Status.FAILED,
            failure=failure[:500],
            finished_at=timezone.now(),
            lease_until=None,
        )
        raise
    finally:
        _commit_without_waiting_for_disk(False)
    # The file's people now live in their leads; the summary and the error report stay.
    # (A failed job keeps its file, to be run again.)
    if not ours.update(
        status=ImportJob.Status.DONE, finished_at=timezone.now(), content=b"", lease_until=None
    ):
        return "lease lost"
    return ImportJob.Status.DONE


@shared_task(name="pools.tasks.import_run")
def import_run(job_id: int) -> str:
    """Run one CSV import. Not auto-retried: a failure is shown on the job's page; a worker
    that dies mid-file has the task redelivered (acks_late) and the import resumes. Defined
    beside the run, not in pools.tasks (which registers it): the services that queue it
    would import a tasks module that imports them back, a cycle."""
    return import_job_run(job_id=job_id)


def _commit_without_waiting_for_disk(on: bool) -> None:
    """Each row is its own transaction, and waiting for each COMMIT's WAL flush was a third
    of the import's time. With synchronous_commit off a commit is still atomic (never half
    a lead); a database crash may only forget the last fraction of a second of rows, and
    the progress saved with them, so re-running the import (which is idempotent) restores
    them. Session-scoped, and reset: the worker's connection serves other tasks after."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF" if on else "RESET synchronous_commit")


class _Batch:
    """Counters, row errors, duplicate rows and created lead ids since the last progress
    save."""

    def __init__(self, job: ImportJob, token: uuid.UUID):
        self.job, self.token = job, token
        self.counts = dict.fromkeys(("processed", "created", "duplicates", "rejected"), 0)
        self.errors: list[ImportRowError] = []
        self.duplicates: list[ImportDuplicate] = []
        self.created_ids: list[int] = []
        self.saved_at = time.monotonic()

    def due(self) -> bool:
        return (
            self.counts["processed"] >= PROGRESS_EVERY_ROWS
            or time.monotonic() - self.saved_at > PROGRESS_EVERY_SECONDS
        )

    def duplicate(self, row: int, lead_id: int, matched_by: str) -> None:
        self.counts["duplicates"] += 1
        self.duplicates.append(
            ImportDuplicate(job=self.job, row=row, lead_id=lead_id, matched_by=matched_by)
        )

    def flush(self) -> None:
        # One UPDATE of relative increments: the page polling progress sees a consistent
        # snapshot, and a resumed run adds to what the interrupted one saved. The batch's
        # new leads are announced together, after commit, not one message per lead. What
        # is saved leaves the batch first: were anything after the commit to raise, the
        # failure path's flush must not save it twice.
        errors, self.errors = self.errors, []
        duplicates, self.duplicates = self.duplicates, []
        created_ids, self.created_ids = self.created_ids, []
        counts, self.counts = self.counts, dict.fromkeys(self.counts, 0)
        self.saved_at = time.monotonic()
        with transaction.atomic():
            # The lease first: a run that lost it saves nothing (the atomic block undoes
            # nothing else yet) and stops.
            renewed = ImportJob.objects.filter(pk=self.job.pk, lease_token=self.token).update(
                lease_until=timezone.now() + timedelta(seconds=LEASE_SECONDS),
                **{k: F(k) + v for k, v in counts.items()},
            )
            if not renewed:
                raise LeaseLost
            ImportRowError.objects.bulk_create(errors)
            ImportDuplicate.objects.bulk_create(duplicates)
            if created_ids:
                leads_waiting_on_commit(lead_ids=created_ids)


def _import_chunk(job: ImportJob, chunk: list, batch: _Batch) -> None:
    prepared = []
    for number, row in chunk:
        fields, attributes, problems = row_to_capture(
            row,
            job.mapping,
            decimal_mark=job.decimal_mark or None,
            default_country=job.source.default_country,
        )
        batch.counts["processed"] += 1
        if problems:
            batch.errors.extend(
                ImportRowError(job=job, row=number, column=c[:255], reason=r[:500])
                for c, r in problems
            )
            batch.counts["rejected"] += 1
            continue
        prepared.append((number, fields, attributes, _row_key(row)))
    # Rows seen before (same external id, or the very same row) are duplicates; finding
    # them for the whole chunk in two queries makes a re-import fast. A row imported by
    # someone else meanwhile is still caught inside lead_capture. An external id that was
    # merged into another lead is remembered as a key: without it, a re-import would log
    # the row's inquiry on that lead a second time.
    external_ids = {f["external_id"] for _, f, _, _ in prepared if f.get("external_id")}
    known_keys = dict(
        IdempotencyKey.objects.filter(
            source=job.source,
            key__in=[k for *_, k in prepared] + [external_id_key(e) for e in external_ids],
        ).values_list("key", "lead_id")
    )
    known_ids = (
        dict(
            Lead.objects.filter(source=job.source, external_id__in=external_ids).values_list(
                "external_id", "id"
            )
        )
        if external_ids
        else {}
    )
    for number, fields, attributes, key in prepared:
        external_id = fields.get("external_id", "")
        if external_id in known_ids:
            batch.duplicate(number, known_ids[external_id], _replay_match(fields))
        elif external_id and external_id_key(external_id) in known_keys:
            batch.duplicate(number, known_keys[external_id_key(external_id)], _replay_match(fields))
        elif key in known_keys:
            batch.duplicate(number, known_keys[key], _replay_match(fields))
        else:
            _import_row(job, number, fields, attributes, key, batch)


def _replay_match(fields: dict) -> str:
    # The import identifies a row by its external id when it has one, else by its content.
    if fields.get("external_id"):
        return ImportDuplicate.MatchedBy.EXTERNAL_ID
    return ImportDuplicate.MatchedBy.SAME_ROW


def _import_row(job, number, fields, attributes, key, batch) -> None:
    try:
        # With an external id, that id already makes a re-import a replay; the row's own
        # key is only needed (and stored) for files without one.
        result = lead_capture(
            source=job.source,
            fields=fields,
            attributes=attributes,
            idempotency_key="" if fields.get("external_id") else key,
            channel="CSV import",
            actor=job.created_by,
            hand_off=False,
            prechecked=True,
        )
    except Exception as exc:  # noqa: BLE001 — one bad row must never stop the file
        reason = normalise.personal_scrub(f"Could not be saved: {exc}")
        log.warning("Import %s row %s: %s", job.pk, number, reason)
        batch.errors.append(ImportRowError(job=job, row=number, column="", reason=reason[:500]))
        batch.counts["rejected"] += 1
        return
    if result.outcome == CREATED:
        batch.created_ids.append(result.lead.pk)
        batch.counts["created"] += 1
        return
    # Replayed (same row or external id seen before) and merged (joined an open lead with
    # the same contact) are both duplicates to the person importing, listed with the lead.
    batch.duplicate(
        number,
        result.lead.pk,
        result.matched_by if result.outcome == MERGED else _replay_match(fields),
    )
