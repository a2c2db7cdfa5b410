"""Direct: the named rep, if eligible."""

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
    for c in eligible:
        if c.rep_id == options.direct_rep_id:
            return Choice(c.rep_id, f"Direct: the rule names {c.name}", state)
    return Choice(None, "The named rep is not eligible", state)
