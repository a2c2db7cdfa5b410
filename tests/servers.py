"""Real processes for integration tests: an ASGI server and a Celery worker, both pointed
at the test database that pytest-django created (tests using them must commit their data:
`django_db(transaction=True)`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    socket_dir = s.get("OPTIONS", {}).get("host")  # the embedded server's socket
    if socket_dir:
        return f"postgres://{user}{password}@/{s['NAME']}?host={socket_dir}"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        DEBUG="false",
        STATIC_MANIFEST="false",
        # Served over plain HTTP on 127.0.0.1: no redirect to HTTPS, no Secure cookies.
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {timeout}s")


@contextmanager
def asgi_server():
    """uvicorn serving leadroute.asgi on a free port; yields the base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.asgi_app:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=child_env(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(f"{base}/accounts/login/", proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def celery_worker(queue: str):
    """A real Celery worker consuming only `queue`, so no other worker on the same Redis
    steals the test's tasks."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "leadroute",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=child_env(),
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
