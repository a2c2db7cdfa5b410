"""The two-proportion z-test (pooled standard error, two-sided), and what it means in
words. Pure: no database, tested against a published worked example."""

from __future__ import annotations

import math
from dataclasses import dataclass

# p below this: "would arise by chance less than 1 time in 20" (the usual 5% level).
SIGNIFICANT = 0.05


@dataclass(frozen=True)
class Metric:
    """How a proportion reads: "B converts 3.1 points better"."""

    name: str  # "Conversion"
    verb: str  # "converts"
    up: str  # "better"
    down: str  # "worse"


@dataclass(frozen=True)
class ZTest:
    hits_a: int
    n_a: int
    hits_b: int
    n_b: int
    p_a: float | None
    p_b: float | None
    z: float | None
    p_value: float | None
    verdict: str

    @property
    def points(self) -> float | None:
        """B minus A in percentage points."""
        if self.p_a is None or self.p_b is None:
            return None
        return (self.p_b - self.p_a) * 100

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANT


def two_proportion_z(*, hits_a: int, n_a: int, hits_b: int, n_b: int) -> tuple[float, float]:
    """z and its two-sided p-value for H0: both arms share one proportion. The standard
    error pools the arms (the null hypothesis says they are one population); the normal
    tail is erfc(|z|/√2), so no statistics library is needed. Needs n_a, n_b > 0 and a
    pooled proportion strictly between 0 and 1."""
    p_a, p_b = hits_a / n_a, hits_b / n_b
    pooled = (hits_a + hits_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (p_b - p_a) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def compare(*, metric: Metric, hits_a: int, n_a: int, hits_b: int, n_b: int) -> ZTest:
    """The test and its verdict; an empty arm or a proportion of 0 or 1 in both arms
    (nothing varies) is said in words, never divided by."""
    p_a = hits_a / n_a if n_a else None
    p_b = hits_b / n_b if n_b else None
    z = p_value = None
    empty = [arm for arm, n in (("A", n_a), ("B", n_b)) if not n]
    if empty:
        verdict = (
            f"{' and '.join(empty)} {'has' if len(empty) == 1 else 'have'} no leads to count: "
            "nothing to compare. Widen the period or choose another arm."
        )
    elif hits_a + hits_b in (0, n_a + n_b):
        verdict = (
            f"A and B are both at {p_a * 100:.0f}% on {metric.name.lower()}: nothing varies, "
            "so there is no difference to test."
        )
    else:
        z, p_value = two_proportion_z(hits_a=hits_a, n_a=n_a, hits_b=hits_b, n_b=n_b)
        verdict = _in_words(metric, (p_b - p_a) * 100, p_value)
    return ZTest(hits_a, n_a, hits_b, n_b, p_a, p_b, z, p_value, verdict)


def _in_words(metric: Metric, points: float, p: float) -> str:
    if round(points, 1) == 0:
        lead = f"A and B are level on {metric.name.lower()} (under 0.1 points apart)"
    else:
        better = metric.up if points > 0 else metric.down
        lead = f"B {metric.verb} {abs(points):.1f} points {better} than A"
    if p < 0.01:
        chance = "less than 1 time in 100"
        return f"{lead}; this difference would arise by chance {chance} (p = {p:.2g})."
    if p < SIGNIFICANT:
        chance = "less than 1 time in 20"
        return f"{lead}; this difference would arise by chance {chance} (p = {p:.2f})."
    return f"{lead}; this difference could easily arise by chance (p = {p:.2f})."
