"""Distribution methods: one module each, one signature (see base.strategy_signature).
Adding a method is adding a module and a line here (and a choice on RoutingRule.Method)."""

from . import (
    direct,
    load_balanced,
    quota_fill,
    round_robin,
    skills,
    territory,
    top_performer,
    weighted,
)
from .base import Candidate, Choice, LeadSnapshot, Options, QuotaStanding

STRATEGIES = {
    "round_robin": round_robin.choose,
    "weighted": weighted.choose,
    "load_balanced": load_balanced.choose,
    "top_performer": top_performer.choose,
    "territory": territory.choose,
    "skills": skills.choose,
    "direct": direct.choose,
    "quota_fill": quota_fill.choose,
}

__all__ = ["STRATEGIES", "Candidate", "Choice", "LeadSnapshot", "Options", "QuotaStanding"]
