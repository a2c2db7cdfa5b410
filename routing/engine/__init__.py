"""The engine: routes a batch of leads (services), each lead's way through the rules
(router), reads the reps' facts (facts, book), filters them (eligibility), and writes the
decision record (record)."""

from .services import (
    Recheck,
    Reroute,
    lead_offer_fallback,
    lead_offer_recheck,
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
    "lead_route",
    "lead_route_preview",
    "leads_reroute",
    "leads_route",
)
