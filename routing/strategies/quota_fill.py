"""Quota fill: the eligible rep furthest behind their lead quota for the period gets the
lead — the lowest share of their target worked so far (3 of 20 is further behind than 2 of
5), so quotas of any size compare. A rep with a week's and a month's quota stands where
they are furthest behind. A rep without a lead quota counts as exactly on target: never
preferred over anyone behind, but served before reps already past theirs (nobody asked
more of them). Ties: fewest leads today, then whoever waited longest, then the lower id."""

from fractions import Fraction

from .base import Candidate, Choice, LeadSnapshot, Options, QuotaStanding, waited_key

ON_TARGET = Fraction(1)
PERIOD_ORDER = {"week": 0, "month": 1}


def behind_most(c: Candidate) -> QuotaStanding | None:
    """The rep's lead quota they are furthest behind on (the week's on a tie)."""
    return min(
        c.lead_quotas,
        key=lambda q: (Fraction(q.worked, q.target), PERIOD_ORDER.get(q.period, 2)),
        default=None,
    )


def share_worked(c: Candidate) -> Fraction:
    standing = behind_most(c)
    return ON_TARGET if standing is None else Fraction(standing.worked, standing.target)


def standing_label(q: QuotaStanding) -> str:
    """ "3 of 20 this week (15%)": how decisions and suggestions name a rep's standing."""
    return f"{q.worked} of {q.target} this {q.period} ({q.worked * 100 // q.target}%)"


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
    shares = {c.rep_id: share_worked(c) for c in eligible}
    winner = min(eligible, key=lambda c: (shares[c.rep_id], c.today, *waited_key(c)))
    standing = behind_most(winner)
    if standing is not None:
        reason = f"Quota fill: furthest behind lead quota: {standing_label(standing)}"
    else:
        reason = (
            "Quota fill: no lead quota (counted as on target) and no eligible rep is behind theirs"
        )
    tied = [c for c in eligible if shares[c.rep_id] == shares[winner.rep_id]]
    if len(tied) > 1:
        fewest = sum(1 for c in tied if c.today == winner.today) == 1
        reason += f", tied with {len(tied) - 1} other(s); " + (
            f"fewest leads today ({winner.today})" if fewest else "waited longest"
        )
    without = sum(1 for c in eligible if not c.lead_quotas)
    if without and standing is not None:
        reason += f"; {without} eligible rep(s) without a lead quota count as on target"
    return Choice(winner.rep_id, reason, state)
