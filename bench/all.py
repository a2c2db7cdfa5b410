"""Every benchmark with small defaults, then one table: figure, goal, the floor measured
in the same run, and whether the goal holds.

    make bench                      # this
    make bench ARGS="bench/pool.py"  # one bench, full size (see each file's docstring)

Small sizes finish in minutes on a laptop; their figures are for spotting a regression,
the goals (set for the full sizes) are shown beside them all the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMALL = [
    ("pool.py", ["--leads", "5000", "--claimers", "10", "--rounds", "2", "--http-seconds", "2"]),
    ("route.py", ["--leads", "300", "--reps", "20"]),
    ("intake.py", ["--requests", "600", "--concurrency", "8"]),
    ("import.py", []),
    ("offers.py", ["--reps", "10", "--leads", "10", "--rounds", "5"]),
    ("desk.py", ["--leads", "1000", "--reps", "20", "--runs", "20"]),
    ("team_board.py", ["--reps", "20", "--leads-per-rep", "100", "--runs", "20"]),
    ("sweep.py", ["--leads", "10000", "--due", "500"]),
    ("quotas.py", ["--leads", "20000"]),
    ("webhooks.py", ["--events", "2000", "--leads", "500", "--requests", "200"]),
    ("reports.py", ["--leads", "20000", "--loads", "3"]),
    ("simulate.py", ["--leads", "1000", "--reps", "20"]),
]


def main() -> int:
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as results:
        env = {**os.environ, "BENCH_RESULTS": results.name}
        failed = []
        for script, args in SMALL:
            started = time.monotonic()
            print(f"— {script} {' '.join(args)}", flush=True)
            done = subprocess.run(
                [sys.executable, str(HERE / script), *args],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            took = time.monotonic() - started
            if done.returncode:
                failed.append(script)
                print(f"  failed after {took:.0f} s:\n{done.stderr[-2000:]}", flush=True)
            else:
                print(f"  done in {took:.0f} s", flush=True)
        rows = [json.loads(line) for line in results.read().splitlines() if line.strip()]
    print()
    print(_table(rows))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


def _table(rows: list[dict]) -> str:
    head = ("bench", "figure", "value", "goal", "floor", "")
    lines = [head]
    for r in rows:
        unit = r["unit"]
        floor = "" if r["floor"] is None else f"{r['floor']:.1f} {unit}"
        verdict = {True: "pass", False: "short", None: ""}[r["met"]]
        lines.append(
            (r["bench"], r["figure"], f"{r['value']:.1f} {unit}", r["goal"], floor, verdict)
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    out = [" | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
