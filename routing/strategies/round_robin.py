"""Round robin: a pointer into the roster, advanced past the last rep served.

keep_turn: a rep skipped for being away (not for a cap or a skill) is owed a turn and is
served first once back; otherwise their turn is simply lost.
"""

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
    by_id = {c.rep_id: c for c in eligible}
    owed = [r for r in state.get("owed", []) if r in set(roster)]
    if options.keep_turn:
        for rep_id in owed:
            if rep_id in by_id:
                rest = [r for r in owed if r != rep_id]
                return Choice(
                    rep_id,
                    f"Round robin: {by_id[rep_id].name} kept their turn while unavailable "
                    "(away, off hours or out of office) and is back",
                    {**state, "owed": rest},
                )
    last = state.get("last")
    order = list(roster) or [c.rep_id for c in eligible]
    start = order.index(last) + 1 if last in order else 0
    if last not in order and last is not None:
        # The last rep left the roster: resume after the highest id below them, so the
        # others keep their place instead of restarting at the top.
        start = next((i for i, r in enumerate(order) if r > last), 0)
    skipped = []
    for step in range(len(order)):
        rep_id = order[(start + step) % len(order)]
        if rep_id in by_id:
            if options.keep_turn:
                owed = [r for r in owed + [s for s in skipped if s not in owed] if r != rep_id]
            new_state = {**state, "last": rep_id, "owed": owed if options.keep_turn else []}
            return Choice(rep_id, f"Round robin: {by_id[rep_id].name} is next in turn", new_state)
        if rep_id in unavailable:
            skipped.append(rep_id)
    return Choice(None, "Nobody eligible", state)
