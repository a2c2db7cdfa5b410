"""The engine: plans a batch of leads (router), reads the reps' facts (facts, book),
filters them (eligibility), places each lead and writes the decision record (record)."""

from .router import lead_route, lead_route_preview, leads_route

__all__ = ("lead_route", "lead_route_preview", "leads_route")
