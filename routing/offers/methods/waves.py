"""Waves: the top performance tier for T seconds, then tiers 1 and 2, and so on (the tiers
are top performer's), then the rule's fallback. A wave that would add nobody (fewer reps
than tiers) is left out."""

from ...strategies.top_performer import performance_ranked, performance_tiers
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
    tiers = performance_tiers(performance_ranked(eligible, options.min_sample), options.waves)
    steps, offered = [], []
    for i, tier in enumerate(tiers):
        if not tier:
            continue
        offered += [c.rep_id for c in tier]
        steps.append(
            OfferStep(tuple(offered), options.seconds, f"Wave {len(steps) + 1}: tiers 1–{i + 1}")
        )
    return OfferPlan(
        tuple(steps), f"Waves: {len(steps)} waves over {len(eligible)} reps by performance", state
    )
