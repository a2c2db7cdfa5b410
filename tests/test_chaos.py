"""bench/chaos.py with small numbers: the whole stack (two uvicorn processes, two Celery
workers, beat, its own Redis) takes leads through push, pool and offer rules while a
worker is SIGKILLed, Redis restarts and a web process is SIGKILLed — and every check of
the run holds (none lost, none doubled, one place, one owner, answers match the rows)."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.servers import ROOT
from tests.servers import test_database_url as database_url

pytestmark = pytest.mark.worker


@pytest.mark.django_db
def test_a_small_chaos_run_keeps_every_lead_in_one_place():
    # A database of its own beside the test database (the script drops and migrates it).
    url = database_url().replace(
        f"/{connection.settings_dict['NAME']}", f"/{connection.settings_dict['NAME']}_chaos", 1
    )
    run = subprocess.run(
        [
            sys.executable,
            "bench/chaos.py",
            "--leads",
            "90",
            "--reps",
            "3",
            "--clients",
            "3",
            "--drain-timeout",
            "120",
        ],
        cwd=ROOT,
        env={**os.environ, "BENCH_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert run.stdout.rstrip().endswith("OK")
    assert "3 kills, 3 restarts" in run.stdout
