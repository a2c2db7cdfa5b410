"""Fewest open leads wins; ties go to whoever has waited longest for a lead."""

from .base import Candidate, Choice, LeadSnapshot, Options, waited_key


def choose(
    *,
    lead: LeadSnapshot,
    eligible: list[Candidate],
    roster: list[int],
    unavailable: frozenset[int],
    state: dict,
    options: Options,
) -> Choice:
    if not eligible:
        return Choice(None, "Nobody eligible", state)
    winner = min(eligible, key=lambda c: (c.open_leads, *waited_key(c)))
    tied = sum(1 for c in eligible if c.open_leads == winner.open_leads)
    reason = f"Load balanced: fewest open leads ({winner.open_leads})"
    if tied > 1:
        reason += f", tied with {tied - 1} other(s); waited longest"
    return Choice(winner.rep_id, reason, state)
