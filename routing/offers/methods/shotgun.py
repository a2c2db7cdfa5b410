"""Shotgun: every eligible, online rep at once; the first to accept wins."""

from .base import Candidate, LeadSnapshot, OfferOptions, OfferPlan, OfferStep, nobody


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
    step = OfferStep(tuple(c.rep_id for c in eligible), options.seconds, "Everyone at once")
    return OfferPlan((step,), f"Shotgun: offered to {len(eligible)} reps at once", state)
