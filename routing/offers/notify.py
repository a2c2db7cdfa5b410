"""Telling reps about offers: a card to each recipient when an offer opens, its removal from
every recipient's pages when it closes. Each frame goes to one rep's own group (their open
pages), after commit (leadroute.shared.live): nobody hears of an offer that rolled back,
and the card carries only what its rule's mode allows that rep to see before winning."""

from __future__ import annotations

from django.template.loader import render_to_string

from leadroute.shared.live import (
    board_changed_on_commit,
    broadcast_on_commit,
    live_replace,
    user_group,
)
from pools.models import Lead

from ..models import Offer, RoutingRule
from .selectors import offer_card


def notify_offer_opened(*, offer: Offer, lead: Lead, rule: RoutingRule | None) -> None:
    html = render_to_string(
        "routing/offers/_card_frame.html", {"card": offer_card(offer=offer, lead=lead, rule=rule)}
    )
    for rep_id in offer.recipient_ids:
        broadcast_on_commit(user_group(rep_id), html=html)


def notify_offer_closed(*, offer: Offer, to: list[int] | None = None) -> None:
    """The card leaves the pages of `to` (every recipient by default)."""
    html = live_replace(f"offer-{int(offer.pk)}")
    for rep_id in offer.recipient_ids if to is None else to:
        broadcast_on_commit(user_group(rep_id), html=html)


def notify_offer_declined(*, rep) -> None:
    """The rep's team board counts their declines today (an accept moves the lead, which
    tells the board itself)."""
    profile = getattr(rep, "rep_profile", None)
    board_changed_on_commit(profile.team_id if profile else None)
