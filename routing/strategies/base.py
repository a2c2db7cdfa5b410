"""The one signature every strategy shares, over plain snapshots (no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class LeadSnapshot:
    id: int | None
    fields: dict
    estimated_value: Decimal | None = None
    # Territories the lead falls in: id -> specificity (postal 4, area 3, state 2, country 1).
    territories: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class QuotaStanding:
    """A rep's lead quota for their current week or month: leads worked so far of target."""

    period: str  # "week" or "month" (accounts.models.Quota.Period)
    target: int
    worked: int


@dataclass(frozen=True)
class Candidate:
    rep_id: int
    name: str
    weight: int = 1
    seniority: int = 2
    open_leads: int = 0
    # When the rep last got a routed lead; None = never (waited longest).
    last_assigned_at: datetime | None = None
    territory_ids: frozenset[int] = frozenset()
    languages: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    company_sizes: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    won: int = 0
    closed: int = 0
    # Live offers' shark tank: median seconds to accept over recent offers, and how many.
    accept_median: float | None = None
    accepts: int = 0
    # Leads routing gave them on their own today (quota fill's tie-break).
    today: int = 0
    # Quota fill: their lead quotas (a week's, a month's or both); empty when they have none.
    lead_quotas: tuple[QuotaStanding, ...] = ()


@dataclass(frozen=True)
class Options:
    keep_turn: bool = True
    min_sample: int = 5
    value_tiers: tuple = ()
    direct_rep_id: int | None = None
    # Criteria the skills method scores (all when empty). The rule's "require_…" flags
    # are hard filters in eligibility, not scores.
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    rep_id: int | None
    reason: str
    state: dict


def waited_key(c: Candidate) -> tuple:
    """Tie-break: whoever waited longest (never assigned first), then the lower id."""
    return (c.last_assigned_at is not None, c.last_assigned_at or datetime.min, c.rep_id)


def strategy_signature(
    *,
    lead: LeadSnapshot,
    eligible: list[Candidate],
    roster: list[int],
    unavailable: frozenset[int],
    state: dict,
    options: Options,
) -> Choice:
    """Documentation of the shared signature.

    lead: the lead; eligible: candidates that passed every filter, in roster order;
    roster: every target rep id in a stable order (round robin walks it); unavailable:
    roster reps excluded only for being away/off hours/out of office (round robin's
    keep-turn); state: the rule's method state (never mutated: return the new one).
    """
    raise NotImplementedError
