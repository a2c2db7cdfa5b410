"""bench/pool.py's measuring kit: latencies as percentiles, and operations run in forked
processes released together, each reporting its own CPU and its PostgreSQL backend's.
Imported after django.setup()."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

from _common import percentile
from django.db import connection, connections


def ms(values: list[float]) -> str:
    p50, p95, p99 = (percentile(values, p) * 1000 for p in (50, 95, 99))
    return f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms  (n={len(values)})"


def backend_cpu() -> float:
    """CPU seconds so far of this connection's PostgreSQL backend (Linux /proc)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_cpu(fn):
    """fn(i, …) → (its result, this process's CPU, its backend's CPU): the operations' own
    CPU, without the process's start, warm-up and exit."""

    def run(i, *args):
        client, backend = time.process_time(), backend_cpu()
        result = fn(i, *args)
        return result, time.process_time() - client, backend_cpu() - backend

    return run


def cpu_per_op(runs: list) -> tuple[float, float]:
    """Seconds of CPU per operation of with_cpu runs: (in the caller, in PostgreSQL)."""
    count = sum(len(own) for own, _, _ in runs)
    return tuple(sum(r[k] for r in runs) / count for k in (1, 2))


def cpu_line(label: str, runs: list) -> list[float]:
    """Print the CPU per operation of with_cpu runs; return their latencies."""
    times = [t for own, _, _ in runs for t in own]
    client, backend = (x * 1000 for x in cpu_per_op(runs))
    print(f"  {label:38s}{ms(times)}")
    print(
        f"  {'':38s}CPU per operation: {client:.2f} ms in the caller"
        f" + {backend:.2f} ms in PostgreSQL"
    )
    return times


def flat(runs: list[list[float]]) -> list[float]:
    return [t for own in runs for t in own]


class Workers:
    """n forked processes, each keeping one connection for its whole life (as a
    deployment's pooled connections do), that run named operations op(i, arg) together:
    every process waits at a barrier, so all n start at once. Close with `close()`."""

    def __init__(self, n: int, ops: dict):
        ctx = multiprocessing.get_context("fork")
        self.n = n
        self._barrier, self._results = ctx.Barrier(n), ctx.Queue()
        self._inboxes = [ctx.SimpleQueue() for _ in range(n)]
        connections.close_all()  # children must not share the parent's socket
        self._procs = [ctx.Process(target=self._serve, args=(i, ops)) for i in range(n)]
        for proc in self._procs:
            proc.start()

    def _serve(self, i: int, ops: dict) -> None:
        try:
            connection.ensure_connection()  # connecting is not what is measured
            while (job := self._inboxes[i].get()) is not None:
                name, arg = job
                try:
                    self._barrier.wait()
                    self._results.put((i, ops[name](i, arg)))
                except Exception as exc:  # reported, not swallowed
                    self._results.put((i, exc))
        finally:
            connections.close_all()

    def run(self, name: str, arg=None) -> list:
        for inbox in self._inboxes:
            inbox.put((name, arg))
        out: list = [None] * self.n
        for _ in range(self.n):
            i, value = self._results.get(timeout=600)
            if isinstance(value, Exception):
                raise value
            out[i] = value
        return out

    def close(self) -> None:
        for inbox in self._inboxes:
            inbox.put(None)
        for proc in self._procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()


def on_new_connection(fn):
    """fn(i, …) on a new PostgreSQL connection (opened first, unmeasured, as Workers'
    first is): a new backend's cold caches and first plans, in a warm process — a fork's
    first run of Python code (copy-on-write faults, the first full garbage collection)
    would otherwise be timed too, a cost of this harness, not of a new connection."""

    def run(i, *args):
        connections.close_all()
        connection.ensure_connection()
        return fn(i, *args)

    return run
