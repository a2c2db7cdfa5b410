"""Smooth weighted round robin (nginx's): every pick adds each eligible rep's weight to
their current weight, serves the highest, and takes the total off the winner. Over any
window each rep's count stays within ±1 of their weight share. A new rep starts at 0 (the
current position: no catch-up flood) and adding or removing a rep leaves the others'
current weights alone."""

from .base import Candidate, Choice, LeadSnapshot, Options


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
    current = {int(k): v for k, v in state.get("current", {}).items()}
    total = 0
    for c in eligible:
        weight = max(c.weight, 0)
        current[c.rep_id] = current.get(c.rep_id, 0) + weight
        total += weight
    if total == 0:
        return Choice(None, "Every eligible rep has weight 0", state)
    winner = max(eligible, key=lambda c: (current[c.rep_id], -c.rep_id))
    current[winner.rep_id] -= total
    keep = set(roster) | {c.rep_id for c in eligible}
    new_state = {**state, "current": {str(k): v for k, v in sorted(current.items()) if k in keep}}
    return Choice(
        winner.rep_id,
        f"Weighted: {winner.name} has weight {winner.weight} of "
        f"{total} among eligible reps and is furthest behind their share",
        new_state,
    )
