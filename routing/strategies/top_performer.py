"""Best conversion rate wins. The rate is smoothed toward the group's average (a rep with
1 win out of 1 is not "100%"): rate = (won + m·avg) / (closed + m), m = min_sample.
Optional tiers: reps are ranked and split into len(value_tiers)+1 tiers; a lead whose
estimated value reaches the first threshold goes to the top tier, and so on."""

from decimal import Decimal

from .base import Candidate, Choice, LeadSnapshot, Options, waited_key


def smoothed_rate(*, won: int, closed: int, prior: float, min_sample: int) -> float:
    """(won + m·prior) / (closed + m): a few closed leads move a rep's rate off the prior
    only a little; many move it to their own. The simulator's predicted conversion uses it
    too (reports.simulator.predict)."""
    m = max(min_sample, 1)
    return (won + m * prior) / (closed + m)


def smoothed_rates(candidates: list[Candidate], min_sample: int) -> dict[int, float]:
    won = sum(c.won for c in candidates)
    closed = sum(c.closed for c in candidates)
    prior = won / closed if closed else 0.0
    return {
        c.rep_id: smoothed_rate(won=c.won, closed=c.closed, prior=prior, min_sample=min_sample)
        for c in candidates
    }


def performance_ranked(candidates: list[Candidate], min_sample: int) -> list[Candidate]:
    """Best smoothed conversion first; ties to whoever waited longest. The ranking the
    top-producer cascade and the waves of live offers walk too."""
    rates = smoothed_rates(candidates, min_sample)
    return sorted(candidates, key=lambda c: (-rates[c.rep_id], *waited_key(c)))


def performance_tiers(ranked: list[Candidate], n_tiers: int) -> list[list[Candidate]]:
    """`ranked` cut into `n_tiers` consecutive tiers of near-equal size (the first ones
    smaller when it does not divide); a tier is empty when there are fewer reps."""
    return [
        ranked[i * len(ranked) // n_tiers : (i + 1) * len(ranked) // n_tiers]
        for i in range(n_tiers)
    ]


def lead_tier(value: Decimal | None, thresholds: tuple) -> int:
    for i, threshold in enumerate(thresholds):
        if value is not None and Decimal(str(value)) >= Decimal(str(threshold)):
            return i
    return len(thresholds)


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
    rates = smoothed_rates(eligible, options.min_sample)
    ranked = performance_ranked(eligible, options.min_sample)
    reason_tier = ""
    if options.value_tiers:
        n_tiers = len(options.value_tiers) + 1
        tiers = performance_tiers(ranked, n_tiers)
        wanted = lead_tier(lead.estimated_value, tuple(options.value_tiers))
        # Nearest non-empty tier, preferring lower ones (a big lead never goes to a
        # weaker tier than a smaller lead would).
        order = [wanted] + [
            t for d in range(1, n_tiers) for t in (wanted + d, wanted - d) if 0 <= t < n_tiers
        ]
        tier = next(t for t in order if tiers[t])
        ranked = tiers[tier]
        reason_tier = f" in tier {tier + 1} of {n_tiers} (lead tier {wanted + 1})"
    winner = ranked[0]
    return Choice(
        winner.rep_id,
        f"Top performer{reason_tier}: smoothed conversion {rates[winner.rep_id]:.1%} "
        f"({winner.won} won of {winner.closed} closed)",
        state,
    )
