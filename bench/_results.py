"""A bench's headline figures, for `make bench`'s table (bench/all.py).

Each bench prints its figures as before and also calls `result(...)` for the few a reader
needs at a glance. With BENCH_RESULTS set (bench/all.py sets it), each becomes one JSON
line in that file; alone, `result` does nothing more."""

from __future__ import annotations

import json
import os
import sys


def result(
    figure: str,
    value: float,
    unit: str,
    *,
    goal: str = "",
    floor: float | None = None,
    met: bool | None = None,
) -> None:
    """`goal` in words ("< 100 ms", "≤ 2× floor"); `floor` the same quantity's floor
    measured in the same run (a bare UPDATE, a bare group_send); `met` whether the goal
    holds (None: no goal)."""
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    line = {
        "bench": os.path.basename(sys.argv[0]),
        "figure": figure,
        "value": value,
        "unit": unit,
        "goal": goal,
        "floor": floor,
        "met": met,
    }
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")
