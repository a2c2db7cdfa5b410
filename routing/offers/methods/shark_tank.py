"""Shark tank: a shotgun to the N fastest responders. Speed is the median seconds a rep
took to accept their recent offers, smoothed toward the group's median like top
performer's rates (a rep with one lucky 2-second accept is not the fastest), so reps
without history enter at the group's pace: s = (n·median + m·prior) / (n + m)."""

from statistics import median

from ...strategies.base import waited_key
from .base import Candidate, LeadSnapshot, OfferOptions, OfferPlan, OfferStep, nobody


def smoothed_speeds(candidates: list[Candidate], *, min_sample: int, default: float) -> dict:
    known = [c.accept_median for c in candidates if c.accepts and c.accept_median is not None]
    prior = median(known) if known else default
    m = max(min_sample, 1)
    return {
        c.rep_id: ((c.accepts * (c.accept_median or 0.0)) + m * prior) / (c.accepts + m)
        for c in candidates
    }


def plan(
    *,
    lead: LeadSnapshot,
    eligible: list[Candidate],
    roster: list[int],
    state: dict,
    options: OfferOptions,
) -> OfferPlan:
    if not eligible:
        return nobody(state)
    # Without any history, half a step is as good a guess as any.
    speeds = smoothed_speeds(eligible, min_sample=options.min_sample, default=options.seconds / 2)
    fastest = sorted(eligible, key=lambda c: (speeds[c.rep_id], *waited_key(c)))
    tank = fastest[: options.shark_size]
    step = OfferStep(tuple(c.rep_id for c in tank), options.seconds, f"The {len(tank)} fastest")
    pace = ", ".join(f"{c.name} {speeds[c.rep_id]:.0f} s" for c in tank)
    return OfferPlan(
        (step,), f"Shark tank: the {len(tank)} fastest of {len(eligible)} ({pace})", state
    )
