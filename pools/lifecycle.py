"""The lead state machine: the one place that says which moves are legal.

Every lead is, at every moment, in exactly one place — rejected, in a pool, under a live
offer, in a manager's skim queue, or owned by one rep — and `Lead`'s check constraints
hold the database to the same rule. Services move leads with `pools.services.lead_transition`,
which consults `check_transition` and writes the move as one conditional UPDATE.
"""

from django.db import models


class LeadState(models.TextChoices):
    NEW = "new", "New"
    SCREENED = "screened", "Screened"
    REJECTED = "rejected", "Rejected"
    POOLED = "pooled", "In pool"
    OFFERED = "offered", "Offered"
    SKIMMING = "skimming", "Skim queue"
    ASSIGNED = "assigned", "Assigned"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    WON = "won", "Won"
    LOST = "lost", "Lost"


S = LeadState

# States in which exactly one rep owns the lead (and only these).
OWNED_STATES = frozenset({S.ASSIGNED, S.CONTACTED, S.QUALIFIED, S.WON, S.LOST})
# Owned and still being worked: may be reassigned or returned to a pool.
OPEN_OWNED_STATES = frozenset({S.ASSIGNED, S.CONTACTED, S.QUALIFIED})
CLOSED_STATES = frozenset({S.WON, S.LOST})
# Where a manager may take a lead from by hand (routing.desk): waiting for a person, in a
# pool, under a live offer, or owned and still being worked.
HAND_MOVABLE_STATES = frozenset({S.SKIMMING, S.POOLED, S.OFFERED}) | OPEN_OWNED_STATES
# Where the router may place a screened lead.
PLACEMENT_STATES = frozenset({S.POOLED, S.OFFERED, S.SKIMMING, S.ASSIGNED})

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.SCREENED, S.REJECTED}),
    S.SCREENED: frozenset({S.REJECTED} | PLACEMENT_STATES),
    # A manager overrides a rejection back into routing.
    S.REJECTED: frozenset({S.SCREENED}),
    S.POOLED: frozenset({S.ASSIGNED, S.OFFERED, S.SKIMMING}),
    # Accepted, expired back to the pool, or escalated to the manager; a cascade that moves
    # the offer to the next rep stays `offered`.
    S.OFFERED: frozenset({S.ASSIGNED, S.POOLED, S.SKIMMING, S.OFFERED}),
    S.SKIMMING: frozenset({S.ASSIGNED, S.POOLED, S.OFFERED}),
    # Reassignment keeps the lead `assigned` under a new owner; escalation may pull an
    # untouched lead back to an offer or the skim queue.
    S.ASSIGNED: frozenset({S.ASSIGNED, S.CONTACTED, S.LOST, S.POOLED, S.SKIMMING, S.OFFERED}),
    S.CONTACTED: frozenset({S.ASSIGNED, S.QUALIFIED, S.LOST, S.POOLED}),
    S.QUALIFIED: frozenset({S.ASSIGNED, S.WON, S.LOST, S.POOLED}),
    S.WON: frozenset(),
    S.LOST: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, from_state: str, to_state: str):
        self.from_state, self.to_state = from_state, to_state
        super().__init__(
            f"A lead cannot go from “{LeadState(from_state).label}” to "
            f"“{LeadState(to_state).label}”."
        )


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


def check_transition(from_state: str, to_state: str) -> None:
    if not can_transition(from_state, to_state):
        raise IllegalTransition(from_state, to_state)
