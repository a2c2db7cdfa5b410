"""Sequential (push-pull round robin): one rep at a time, T seconds each. The first rep
rotates per lead — a pointer in the rule's rotation row, locked by the engine like round
robin's — and each pass after a full one without an accept runs in reverse order. After
P passes, the rule's fallback."""

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
    ids = {c.rep_id for c in eligible}
    order = [r for r in roster if r in ids] or [c.rep_id for c in eligible]
    last = state.get("start")
    # Start after the previous lead's first rep, in roster order (a rep who left the
    # roster: after the highest id below theirs), so the first turn goes round.
    if last in order:
        start = (order.index(last) + 1) % len(order)
    else:
        start = next((i for i, r in enumerate(order) if last is not None and r > last), 0)
    order = order[start:] + order[:start]
    names = {c.rep_id: c.name for c in eligible}
    steps = []
    for n in range(options.passes):
        walk = order if n % 2 == 0 else order[::-1]
        steps += [
            OfferStep((rep_id,), options.seconds, f"Pass {n + 1}, rep {i + 1} of {len(walk)}")
            for i, rep_id in enumerate(walk)
        ]
    return OfferPlan(
        tuple(steps),
        f"Sequential: {names[order[0]]} first, {len(order)} reps, {options.passes} passes",
        {**state, "start": order[0]},
    )
