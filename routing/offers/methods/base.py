"""The one signature every offer method shares. Where a routing strategy chooses one rep,
an offer method returns a plan: ordered steps, each a set of reps offered the lead at once
for some seconds. Pure: the engine's candidate snapshots in, a plan and its reason out."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...strategies.base import Candidate, LeadSnapshot


@dataclass(frozen=True)
class OfferOptions:
    seconds: int = 60  # T: how long each step stays open
    passes: int = 2  # P: sequential passes
    shark_size: int = 3  # N: shark tank
    waves: int = 3  # tiers for waves
    min_sample: int = 5  # the ranking's smoothing (top performer's)


@dataclass(frozen=True)
class OfferStep:
    rep_ids: tuple[int, ...]
    seconds: int
    label: str = ""

    def as_dict(self) -> dict:
        return {"reps": list(self.rep_ids), "seconds": self.seconds, "label": self.label}

    @classmethod
    def of(cls, data: dict) -> OfferStep:
        return cls(tuple(data["reps"]), int(data["seconds"]), data.get("label", ""))


@dataclass(frozen=True)
class OfferPlan:
    steps: tuple[OfferStep, ...]
    reason: str
    state: dict = field(default_factory=dict)  # the rule's method state after this lead

    @property
    def seconds(self) -> int:
        return sum(s.seconds for s in self.steps)


def nobody(state: dict) -> OfferPlan:
    return OfferPlan((), "Nobody online and eligible", state)


def plan_signature(
    *,
    lead: LeadSnapshot,
    eligible: list[Candidate],
    roster: list[int],
    state: dict,
    options: OfferOptions,
) -> OfferPlan:
    """Documentation of the shared signature.

    eligible: candidates who passed every filter and are online, in roster order; roster:
    every target rep id in a stable order (sequential rotates over it); state: the rule's
    method state (never mutated: return the new one in the plan).
    """
    raise NotImplementedError
