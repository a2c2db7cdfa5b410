"""`make run`: the whole app from one command.

Starts the ASGI web server, a Celery worker and Celery beat, after an embedded PostgreSQL
and Valkey for whichever of DATABASE_URL / REDIS_URL is unset (`local_services`).
Migrates, seeds demo data into an empty database, and on Ctrl-C (or SIGTERM) stops every
process it started, then the embedded servers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from leadroute.local_services import RUN_DIR, local_services

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[leadroute] {message}", flush=True)


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def _children(port: str, host: str) -> dict[str, list[str]]:
    py = sys.executable
    # Two worker threads are plenty for a laptop's demo traffic.
    concurrency = os.environ.get("CELERY_CONCURRENCY", "2")
    return {
        "web": [
            py,
            "-m",
            "uvicorn",
            "leadroute.asgi:application",
            "--host",
            host,
            "--port",
            port,
            "--log-level",
            "info",
        ],
        "worker": [
            py,
            "-m",
            "celery",
            "-A",
            "leadroute",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "threads",
            "--concurrency",
            concurrency,
        ],
        "beat": [
            py,
            "-m",
            "celery",
            "-A",
            "leadroute",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(RUN_DIR / "celerybeat-schedule"),
        ],
    }


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for name, proc in procs.items():
        if proc.poll() is None:
            log(f"stopping {name}…")
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    RUN_DIR.mkdir(exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadroute.settings")
    os.environ.setdefault("DEBUG", "true")
    port, host = os.environ.get("PORT", "8000"), os.environ.get("HOST", "127.0.0.1")

    procs: dict[str, subprocess.Popen] = {}
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    for ending in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(ending, on_signal)
    with local_services():
        try:
            _manage("migrate", "--noinput", "-v", "0")
            _manage("seed_demo", "--if-empty")
            for name, cmd in _children(port, host).items():
                # Own session: Ctrl-C reaches only this runner, which stops the children in
                # order instead of every process racing to shut down at once.
                procs[name] = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
            log(f"LeadRoute is up at http://{host}:{port}/  — Ctrl-C stops everything")
            while not stopping:
                dead = [name for name, p in procs.items() if p.poll() is not None]
                if dead:
                    log(f"{', '.join(dead)} exited; stopping the rest")
                    return 1
                time.sleep(0.5)
            return 0
        except subprocess.CalledProcessError as exc:
            log(f"setup failed: {exc}")
            return 1
        finally:
            _stop(procs)
            log("stopped")


if __name__ == "__main__":
    sys.exit(main())
