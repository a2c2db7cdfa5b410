"""The 9,240-row X Education Leads.csv imported end to end: upload → mapping → the
import task on a real Celery worker → every lead screened and routed. Then the same file
again (everything must come back as a duplicate).

    make bench ARGS="bench/import.py [--file PATH] [--concurrency 2]"

Uses its own database (bench/_common.py). Needs ../shared/data (or SHARED_DATA_DIR)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from _common import bench_env, django_setup, prepare_database, start_worker
from _results import result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    args = parser.parse_args()

    env = bench_env()
    prepare_database(env)
    django_setup(env)
    from django.conf import settings

    from accounts.models import Team
    from leadroute.celery import app
    from pools.capture.imports.services import import_job_create, import_job_start
    from pools.lifecycle import LeadState
    from pools.models import ImportJob, Lead, LeadSource, Pool
    from tests.factories import make_manager

    path = args.file or Path(settings.SHARED_DATA_DIR) / "x_education" / "Leads.csv"
    if not path.exists():
        raise SystemExit(f"{path} is absent; point SHARED_DATA_DIR at the shared data.")
    content = path.read_bytes()
    team = Team.objects.create(name="Bench")
    Pool.objects.create(name="Bench pool", slug="bench", team=team, is_team_default=True)
    source = LeadSource.objects.create(name="X Education", slug="x-education", team=team)
    manager = make_manager(teams=[team])
    app.control.purge()
    # An earlier run's purge may have dropped a queued drain whose "pending" flag is still
    # set: the imported leads would then wait for beat's sweep, which this bench does not run.
    from routing.intake.pending import intake_pending_clear

    intake_pending_clear()
    # Ctrl-C or a kill still stops the worker (the finally below runs).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    worker = start_worker(env, concurrency=args.concurrency)
    try:
        time.sleep(3)  # let the worker connect before the clock starts
        for attempt in ("first import", "re-import"):
            started = time.perf_counter()
            job = import_job_create(
                user=manager, source=source, filename=path.name, content=content
            )
            job = import_job_start(job=job, mapping=job.mapping)
            while job.status not in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
                time.sleep(0.25)
                job.refresh_from_db()
                if worker.poll() is not None:
                    raise SystemExit("the worker died")
            imported = time.perf_counter() - started
            while Lead.objects.filter(status=LeadState.NEW).exists():
                time.sleep(0.25)
            routed = time.perf_counter() - started
            print(
                f"{attempt}: {job.total} rows, {job.status}: created {job.created}, "
                f"duplicates {job.duplicates}, rejected {job.rejected}"
            )
            print(f"  import task done   {imported:6.1f} s  ({job.total / imported:.0f} rows/s)")
            result(f"CSV import, {attempt}", job.total / imported, "rows/s")
            print(f"  all leads routed   {routed:6.1f} s")
        states = dict(
            Lead.objects.values_list("status").annotate(
                n=__import__("django.db.models", fromlist=["Count"]).Count("id")
            )
        )
        print(f"lead states: {states}")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.control.purge()


if __name__ == "__main__":
    main()
