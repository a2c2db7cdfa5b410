"""Offer methods: one module each, one signature (see base.plan_signature). Adding a method
is adding a module and a line here (and a choice on RoutingRule.OfferMethod)."""

from . import cascade, sequential, shark_tank, shotgun, waves
from .base import OfferOptions, OfferPlan, OfferStep

OFFER_METHODS = {
    "shotgun": shotgun.plan,
    "shark_tank": shark_tank.plan,
    "sequential": sequential.plan,
    "cascade": cascade.plan,
    "waves": waves.plan,
}
# Methods whose state lives in the rule's rotation row (locked per lead by the engine).
STATEFUL_OFFERS = frozenset({"sequential"})

__all__ = ["OFFER_METHODS", "STATEFUL_OFFERS", "OfferOptions", "OfferPlan", "OfferStep"]
