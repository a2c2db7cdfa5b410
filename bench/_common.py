"""Shared set-up for the benchmarks: a separate PostgreSQL database (never the dev one),
migrated, and Django configured against it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def bench_env() -> dict[str, str]:
    """Environment for this process and its children. BENCH_DATABASE_URL, else the
    DATABASE_URL's server with a database named <name>_bench, so a benchmark never fills
    the development database with thousands of leads."""
    env = dict(os.environ)
    base = env.get("DATABASE_URL")
    if not base:
        sys.exit(
            'DATABASE_URL is unset: run the benchmark through `make bench ARGS="bench/….py …"`'
            " (embedded servers) or point DATABASE_URL at a PostgreSQL server."
        )
    if "BENCH_DATABASE_URL" in env:
        url = env["BENCH_DATABASE_URL"]
    else:
        parsed = urlparse(base)
        url = parsed._replace(path=parsed.path.rstrip("/") + "_bench").geturl()
    env.update(
        DATABASE_URL=url,
        DEBUG="false",
        STATIC_MANIFEST="false",
        # Served over plain HTTP on 127.0.0.1: no redirect to HTTPS, no Secure cookies.
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-secret"),
        PYTHONUNBUFFERED="1",
        # Under ASGI each request runs in its own thread, so persistent connections
        # (CONN_MAX_AGE > 0) pile up until PostgreSQL refuses more: every request
        # connects, as the project's default settings do.
        CONN_MAX_AGE="0",
    )
    if not env.get("REDIS_URL"):
        sys.exit("REDIS_URL is unset: run the benchmark through `make bench ARGS=…`.")
    return env


def ensure_database(env: dict[str, str]) -> None:
    """Create the benchmark's database if it is missing (rows seeded by earlier runs are
    kept), and migrate it."""
    import psycopg

    parsed = urlparse(env["DATABASE_URL"])
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def prepare_database(env: dict[str, str]) -> None:
    import psycopg

    parsed = urlparse(env["DATABASE_URL"])
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadroute.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], port: int, *, workers: int = 1) -> subprocess.Popen:
    """uvicorn as the README's *Running in production* runs it (no access log)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "leadroute.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )


def start_worker(env: dict[str, str], *, concurrency: int | None = None) -> subprocess.Popen:
    """A Celery worker: one process (solo pool), or `concurrency` forked ones."""
    pool = ["--pool", "solo"] if concurrency is None else ["--concurrency", str(concurrency)]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "leadroute",
            "worker",
            *pool,
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
