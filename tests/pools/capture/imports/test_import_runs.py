"""An import's run: published once its job commits, leased so a redelivered task cannot
run the file twice at once, swept when its run never arrived or died, failed visibly and
run again from where it stopped."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from pools.capture.imports.runs import import_job_run, import_run
from pools.capture.imports.services import (
    MAX_ATTEMPTS,
    import_job_create,
    import_job_start,
    import_jobs_sweep,
)
from pools.models import ImportJob, Lead
from pools.signals import leads_waiting
from tests.pools.capture.imports.test_import import MESSY

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=5)  # past the lease and the re-publish wait


def _job(manager, source, content: bytes = MESSY.encode()) -> ImportJob:
    return import_job_create(user=manager, source=source, filename="f.csv", content=content)


def _rows(n: int) -> bytes:
    return ("Email\r\n" + "".join(f"p{i}@example.com\r\n" for i in range(n))).encode()


def test_a_broker_down_at_start_leaves_the_job_queued_for_the_sweep(
    manager, client_for, source, monkeypatch, eager_celery, django_capture_on_commit_callbacks
):
    job = _job(manager, source)

    def broker_down(*args, **kwargs):  # what kombu raises with Redis unreachable
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(import_run, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        import_job_start(job=job, mapping=job.mapping)  # no exception reaches the page
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and job.published_at is not None
    ImportJob.objects.filter(pk=job.pk).update(published_at=timezone.now() - timedelta(minutes=1))
    page = client_for(manager).get(f"/leads/import/{job.pk}/").content.decode()
    assert "Waiting for a worker" in page
    monkeypatch.undo()  # the broker is back
    assert import_jobs_sweep(now=timezone.now() + LATER) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and (job.created, job.rejected) == (2, 3)


def test_a_run_that_died_is_resumed_by_the_sweep(manager, source, eager_celery):
    job = _job(manager, source)
    import_job_start(job=job, mapping=job.mapping)
    past = timezone.now() - timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, lease_until=past, published_at=past, attempts=1
    )
    assert import_jobs_sweep() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.attempts == 2
    assert (job.processed, job.created, job.rejected) == (5, 2, 3)


def test_a_held_lease_keeps_a_second_delivery_out(manager, source):
    job = _job(manager, source)
    import_job_start(job=job, mapping=job.mapping)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert import_job_run(job_id=job.pk) == ImportJob.Status.RUNNING
    assert import_jobs_sweep(now=timezone.now()) == 0  # alive: not the sweep's
    job.refresh_from_db()
    assert job.processed == 0 and not Lead.objects.exists()


def test_a_job_that_keeps_dying_fails_visibly_and_runs_again_on_request(
    manager, client_for, source, eager_celery, django_capture_on_commit_callbacks
):
    job = _job(manager, source)
    import_job_start(job=job, mapping=job.mapping)
    past = timezone.now() - timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, lease_until=past, published_at=past, attempts=MAX_ATTEMPTS
    )
    import_jobs_sweep()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.failure == f"The import stopped {MAX_ATTEMPTS} times without finishing"
    client = client_for(manager)
    page = client.get(f"/leads/import/{job.pk}/").content.decode()
    assert "Run again from where it stopped" in page and bytes(job.content)  # file kept
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/leads/import/{job.pk}/", {"action": "retry"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and (job.created, job.rejected) == (2, 3)
    assert client.post(f"/leads/import/{job.pk}/", {"action": "retry"}).status_code == 302
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE  # not again


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_run_the_file_once(manager, source):
    job = _job(manager, source, _rows(600))
    import_job_start(job=job, mapping=job.mapping)
    barrier, results = threading.Barrier(2), []

    def deliver():
        try:
            barrier.wait()
            results.append(import_job_run(job_id=job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    job.refresh_from_db()
    assert ImportJob.Status.DONE in results
    assert (job.processed, job.created, job.attempts) == (600, 600, 1)
    assert Lead.objects.count() == 600


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_a_progress_save_commits_does_not_count_it_twice(manager, source):
    def receiver_fails(**kwargs):  # e.g. whatever announces the new leads cannot publish
        raise RuntimeError("broker gone")

    leads_waiting.connect(receiver_fails, dispatch_uid="test-fails")
    try:
        job = _job(manager, source)
        import_job_start(job=job, mapping=job.mapping)
        import_job_run(job_id=job.pk)
    finally:
        leads_waiting.disconnect(dispatch_uid="test-fails")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.processed, job.created, job.rejected) == (5, 2, 3)
    assert job.row_errors.count() == 3


def test_a_run_whose_lease_ran_out_stops_without_writing_once_another_took_over(manager, source):
    """A run that stalled past its lease (GC, lock waits) while the sweep handed the job
    to a second run: its next progress save finds the lease gone, writes nothing and stops."""
    from pools.capture.imports.runs import LeaseLost, _Batch, _lease_take

    job = _job(manager, source)
    import_job_start(job=job, mapping=job.mapping)
    stalled = _lease_take(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert import_job_run(job_id=job.pk) == ImportJob.Status.DONE  # the second run
    job.refresh_from_db()
    late = _Batch(job, stalled)
    late.counts["processed"], late.counts["created"] = 5, 2
    with pytest.raises(LeaseLost):
        late.flush()
    job.refresh_from_db()
    assert (job.processed, job.created, job.rejected) == (5, 2, 3)  # counted once
    assert job.row_errors.count() == 3
