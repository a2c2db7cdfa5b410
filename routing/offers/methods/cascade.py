"""Top-producer cascade: reps one at a time in descending performance (top performer's
ranking), T seconds each, then the rule's fallback."""

from ...strategies.top_performer import performance_ranked
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
    ranked = performance_ranked(eligible, options.min_sample)
    steps = tuple(
        OfferStep((c.rep_id,), options.seconds, f"Rank {i + 1} of {len(ranked)}")
        for i, c in enumerate(ranked)
    )
    return OfferPlan(steps, f"Top-producer cascade: {ranked[0].name} first of {len(ranked)}", state)
