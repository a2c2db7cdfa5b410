"""The engine: plans a batch of leads (router), reads the reps' facts (facts, book),
filters them (eligibility), places each lead and writes the decision record (record)."""

from .router import (
    Recheck,
    Reroute,
    lead_offer_fallback,
    lead_offer_recheck,
    lead_reroute,
    lead_route,
    lead_route_preview,
    leads_reroute,
    leads_route,
)

__all__ = (
    "Recheck",
    "Reroute",
    "lead_offer_fallback",
    "lead_offer_recheck",
    "lead_reroute",
    "lead_route",
    "lead_route_preview",
    "leads_reroute",
    "leads_route",
)
