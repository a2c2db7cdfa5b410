"""Reads of live offers: a lead's offer history, a rep's open offers, an offer's card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from pools.field_labels import LEAD_FIELD_LABELS, value_label
from pools.models import Lead
from pools.pull.selectors import BLIND_FIELDS

from ..models import Offer, RoutingRule

# What an offer shows before it is won. Blind: what a blind pool shows. Otherwise also who
# and where from; never how to reach them (e-mail, phone) before the win.
PREVIEW_FIELDS = ("first_name", "last_name", "company", "title", *BLIND_FIELDS, "state")


# Shown (where the mode allows) as the card's title rather than as fields of their own.
TITLE_FIELDS = ("first_name", "last_name", "company")


def offer_visible_fields(*, rule: RoutingRule | None) -> tuple[str, ...]:
    """The lead fields an offer's card may carry, by its rule's mode (a rule deleted since:
    blind, the safe side)."""
    if rule is None or rule.offer_blind:
        return BLIND_FIELDS
    return PREVIEW_FIELDS


@dataclass(frozen=True)
class OfferCard:
    """An offer as its recipients see it: only the fields the rule's mode allows."""

    id: int
    title: str
    fields: tuple[tuple[str, str], ...]
    method: str
    label: str
    expires_at: datetime
    seconds: int  # the step's length, for the countdown's bar
    # Time left when the card was drawn: the page counts down from it on its own clock, so
    # a browser clock that is off does not move the deadline (the server decides anyway).
    remaining_ms: int

    @property
    def remaining_seconds(self) -> int:
        return -(-self.remaining_ms // 1000)


def offer_card(
    *, offer: Offer, lead: Lead, rule: RoutingRule | None, now: datetime | None = None
) -> OfferCard:
    now = now or timezone.now()
    shown = offer_visible_fields(rule=rule)
    fields = []
    for name in shown:
        if name in TITLE_FIELDS:
            continue  # the card's title says them
        if name == "source":
            value = lead.source.name if lead.source_id else ""
        else:
            value = getattr(lead, name)
        if value not in (None, ""):
            fields.append((LEAD_FIELD_LABELS[name], value_label(name, str(value))))
    # The title from shown fields only (Lead.display_name falls back to the e-mail).
    person = " ".join(getattr(lead, f) for f in ("first_name", "last_name") if f in shown).strip()
    company = lead.company if "company" in shown else ""
    title = " · ".join(part for part in (person, company) if part) or "New lead"
    return OfferCard(
        id=offer.pk,
        title=title,
        fields=tuple(fields),
        method=_method_label(offer.method),
        label=offer.label,
        expires_at=offer.expires_at,
        seconds=max(round((offer.expires_at - offer.sent_at).total_seconds()), 1),
        remaining_ms=max(round((offer.expires_at - now).total_seconds() * 1000), 0),
    )


def _method_label(method: str) -> str:
    """ "Shotgun", from "Shotgun: everyone at once"."""
    if method in RoutingRule.OfferMethod.values:
        return RoutingRule.OfferMethod(method).label.split(":")[0]
    return method


def offers_open_for(*, user, now: datetime | None = None) -> QuerySet[Offer]:
    """The offers `user` may still accept: open, not yet due, made to them, unanswered —
    what a page that (re)connects shows, the channel layer having delivered at most once."""
    return (
        Offer.objects.filter(
            state=Offer.State.OPEN,
            expires_at__gt=now or timezone.now(),
            recipient_ids__contains=[user.pk],
        )
        .exclude(responses__rep=user)
        .select_related("lead__source", "rule")
        .order_by("expires_at", "id")
    )


def offer_cards_for(*, user, now: datetime | None = None) -> list[OfferCard]:
    now = now or timezone.now()
    return [
        offer_card(offer=o, lead=o.lead, rule=o.rule, now=now)
        for o in offers_open_for(user=user, now=now)
    ]


def lead_offer_history(*, lead: Lead, full: bool, viewer=None) -> list[dict]:
    """Every offer made for the lead, oldest first: rule, method, step, when, how it ended,
    and each recipient's answer ("" = none). As in "Why this rep?", only managers and
    admins (`full`) see every recipient; a rep sees their own line."""
    offers = list(
        lead.offers.select_related("winner").prefetch_related("responses").order_by("sent_at", "id")
    )
    if not offers:
        return []  # most leads: one query
    rep_ids = {r for o in offers for r in o.recipient_ids}
    if not full:
        rep_ids &= {viewer.pk} if viewer is not None else set()
    names = {u.pk: u.display_name for u in get_user_model().objects.filter(pk__in=rep_ids)}
    rules = dict(
        RoutingRule.objects.filter(pk__in={o.rule_id for o in offers}).values_list("pk", "name")
    )
    history = []
    for o in offers:
        answers = {r.rep_id: r for r in o.responses.all()}
        recipients = []
        for rep_id in o.recipient_ids:
            if rep_id not in rep_ids:
                continue
            answer = answers.get(rep_id)
            recipients.append(
                {
                    "rep": rep_id,
                    "name": names.get(rep_id, f"user #{rep_id}"),
                    "response": answer.response if answer else "",
                    "responded_at": answer.responded_at if answer else None,
                    "reason": answer.reason
                    if answer and full or answer and answer.rep_id == getattr(viewer, "pk", None)
                    else "",
                }
            )
        history.append(
            {
                "id": o.pk,
                "rule": rules.get(o.rule_id, ""),
                "method": o.method,
                "method_label": _method_label(o.method),
                "state_label": Offer.State(o.state).label,
                "close_reason": o.close_reason,
                "seconds": round((o.expires_at - o.sent_at).total_seconds()),
                "hidden": len(o.recipient_ids) - len(recipients),
                "step": o.step + 1,
                "steps": len(o.plan.get("steps", [])),
                "label": o.label,
                "sent_at": o.sent_at,
                "expires_at": o.expires_at,
                "closed_at": o.closed_at,
                "state": o.state,
                "winner": o.winner.display_name if o.winner_id else "",
                "offered_to": len(o.recipient_ids),
                "recipients": recipients,
            }
        )
    return history


__all__ = [
    "PREVIEW_FIELDS",
    "OfferCard",
    "lead_offer_history",
    "offer_card",
    "offer_cards_for",
    "offer_visible_fields",
    "offers_open_for",
]
