"""Territory owner: a rep covering the lead's most specific territory (a state beats a
country); among several, fewest open leads, then whoever waited longest."""

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
    def coverage(c: Candidate) -> int:
        return max(
            (lead.territories[t] for t in c.territory_ids if t in lead.territories), default=0
        )

    owners = [c for c in eligible if coverage(c) > 0]
    if not owners:
        return Choice(None, "No eligible rep covers the lead's territory", state)
    winner = min(owners, key=lambda c: (-coverage(c), c.open_leads, *waited_key(c)))
    return Choice(
        winner.rep_id,
        f"Territory owner: {winner.name} covers the lead's territory "
        f"(specificity {coverage(winner)}; {len(owners)} owner(s))",
        state,
    )
