"""Writes to live offers: accept, decline, expire, and moving a lead on when an offer ends.

Check, do, notify (STYLE.md). Locks, always in this order (routing's: lead before rotation
before profiles, with the offer row first): the offer row, the lead row, then what the
engine locks (rotation rows, the profiles of reps with a cap). An accept takes the offer
row by its conditional UPDATE, so fifty accepts queue on that row and the first to commit
decides; expiry and decline take it the same way, so each open offer is decided once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from leadroute.shared.sql import columns_of, insert_sql, row_as, run_batch
from pools.capture.normalise import chars_clean
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from pools.services import Move, lead_transition, leads_transition

from ..decisions.attribution import lead_attribution
from ..engine import lead_offer_fallback, lead_offer_recheck
from ..engine.facts import decisions_insert_sql, intake_bump_sql
from ..live.presence import users_online
from ..models import Offer, OfferResponse, RoutingDecision, RoutingRule
from .methods import OfferStep
from .notify import notify_offer_closed, notify_offer_declined
from .send import Opening, offers_send

log = logging.getLogger(__name__)

OPEN = Offer.State.OPEN


class OfferError(Exception):
    """Why an accept or a decline did not go through, in words for the rep."""

    message = "This offer is no longer open."
    code = "closed"  # stable, for the JSON API
    status = 409

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class OfferTaken(OfferError):
    message = "Someone else took it."
    code = "taken"


class OfferExpired(OfferError):
    message = "This offer has expired."
    code = "expired"


class OfferNotYours(OfferError):
    message = "This offer was not made to you."
    code = "not_yours"
    status = 403


class OfferRefused(OfferError):
    """The rep may not take the lead now (a cap, away, off hours): the engine's reason."""

    code = "refused"


# -- accept ------------------------------------------------------------------------------


def offer_accept(*, offer_id: int, user, now: datetime | None = None) -> Lead:
    """`user` takes the offered lead, or an OfferError says why not.

    Exactly one winner across every process: the win is one conditional UPDATE of the
    offer (still open, not yet due, made to this rep, not declined by them). The winner,
    holding the offer row, then re-checks the rep with the engine's own eligibility under
    the engine's cap lock (lead_offer_recheck) and moves the lead; a rep who may not take
    it rolls the whole accept back, and the next accept in the queue gets its turn.

    Every other accept waits on the offer row for the winner's whole transaction, so its
    round trips are everyone's: six (the take, the re-check's two, the writes, BEGIN and
    COMMIT), and a loser's three (bench/offers.py: 14 and 4 before, p99 6.6× a bare
    UPDATE's)."""
    now = now or timezone.now()
    with transaction.atomic():
        offer, lead, rule = _offer_take(offer_id=offer_id, user=user, now=now)
        if lead.status != LeadState.OFFERED:
            raise OfferError()  # moved by someone else (a manager) since the offer was sent
        if rule is None:
            # Without its rule there is no eligibility (caps, hours) to re-check the rep
            # against: the offer is over, and its expiry sends the lead to the team's place.
            raise OfferError("This offer was withdrawn: its routing rule is gone.")
        recheck = lead_offer_recheck(lead=lead, rule=rule, rep_ids=[user.pk], now=now, lock=True)[
            user.pk
        ]
        if recheck.exclusion is not None:
            raise OfferRefused(f"You can't take it now: {recheck.exclusion[1]}")
        _offer_accept_do(offer=offer, lead=lead, rule=rule, user=user, day=recheck.day, now=now)
        notify_offer_closed(offer=offer)
    return lead


def _offer_take(*, offer_id: int, user, now: datetime) -> tuple[Offer, Lead, RoutingRule | None]:
    """The accept's first round trip: the conditional UPDATE (the win), then — each
    statement its own snapshot, so after the winner's commit for one that waited — the
    lead locked if this accept won, and the offer as it now is with its rule. A lost accept
    raises the calm reason (_why_not) from the same rows."""
    ops = connection.ops
    at = ops.adapt_datetimefield_value(now)
    offers, leads = Offer._meta.db_table, Lead._meta.db_table
    responses, rules = OfferResponse._meta.db_table, RoutingRule._meta.db_table
    won, lead_rows, offer_rows = run_batch(
        [
            (
                f"UPDATE {offers} o SET state = %s, winner_id = %s, closed_at = %s "
                "WHERE o.id = %s AND o.state = %s AND o.expires_at > %s "
                "AND o.recipient_ids @> ARRAY[%s]::bigint[] AND NOT EXISTS "
                f"(SELECT 1 FROM {responses} r WHERE r.offer_id = o.id AND r.rep_id = %s) "
                "RETURNING o.id",
                [Offer.State.ACCEPTED, user.pk, at, offer_id, OPEN, at, user.pk, user.pk],
            ),
            (
                f"SELECT {columns_of(Lead, 'l')} FROM {leads} l WHERE l.id = (SELECT lead_id "
                f"FROM {offers} WHERE id = %s AND winner_id = %s AND closed_at = %s) "
                "FOR UPDATE OF l",
                [offer_id, user.pk, at],
            ),
            (
                f"SELECT {columns_of(Offer, 'o')}, EXISTS (SELECT 1 FROM {responses} r "
                f"WHERE r.offer_id = o.id AND r.rep_id = %s), {columns_of(RoutingRule, 'r')} "
                f"FROM {offers} o LEFT JOIN {rules} r ON r.id = o.rule_id WHERE o.id = %s",
                [user.pk, offer_id],
            ),
        ]
    )
    n = len(Offer._meta.concrete_fields)
    row = offer_rows[0] if offer_rows else None
    offer = row_as(Offer, row[:n]) if row else None
    if not won or not lead_rows:
        raise _why_not(offer=offer, answered=bool(row and row[n]), user=user, now=now)
    rule = row_as(RoutingRule, row[n + 1 :]) if row[n + 1] is not None else None
    return offer, row_as(Lead, lead_rows[0]), rule


def _why_not(*, offer: Offer | None, answered: bool, user, now: datetime) -> OfferError:
    """The calm reason a late or losing accept (or decline) gets: `offer` as it is now,
    `answered` whether `user` has answered it already."""
    if offer is None or user.pk not in offer.recipient_ids:
        return OfferNotYours()
    if offer.state == Offer.State.ACCEPTED:
        return OfferTaken() if offer.winner_id != user.pk else OfferError("You took it already.")
    if offer.state == Offer.State.EXPIRED or (offer.state == OPEN and offer.expires_at <= now):
        return OfferExpired()
    if answered:
        return OfferError("You have answered this offer already.")
    return OfferError()


def _offer_accept_do(
    *, offer: Offer, lead: Lead, rule: RoutingRule, user, day, now: datetime
) -> None:
    """Under the offer and lead locks: the lead becomes the rep's, counted on their intake
    (the counter routing's caps read), with the answer and the decision recorded — one
    round trip (leads_transition runs them with the move)."""
    reason = f"Accepted the live offer ({offer.label or offer.method})"
    response = OfferResponse(
        offer=offer, rep=user, response=OfferResponse.Response.ACCEPTED, responded_at=now
    )
    decision = RoutingDecision(
        lead=lead,
        rule=rule,
        rule_name=rule.name,
        method=offer.method,
        outcome=RoutingDecision.Outcome.ASSIGNED,
        winner=user,
        reason=f"{reason}: first to accept",
        details={"offer": {"id": offer.pk, "series": str(offer.series), "step": offer.step}},
        created_at=now,
    )
    leads_transition(
        moves=[
            Move(
                lead=lead,
                to=LeadState.ASSIGNED,
                owner=user,
                reason=reason,
                data={"offer": offer.pk, "rule": offer.rule_id},
                extra=lead_attribution(rule_id=rule.pk, method=offer.method, via=Lead.Via.OFFER),
            )
        ],
        kind=LeadEvent.Kind.ASSIGNED,
        actor=user,
        also=(
            insert_sql([response]),
            intake_bump_sql(counts={user.pk: 1}, days={user.pk: day}, at=now),
            decisions_insert_sql([decision]),
        ),
        offer_settled=True,
    )


# -- decline -----------------------------------------------------------------------------


def offer_decline(*, offer_id: int, user, reason: str = "", now: datetime | None = None) -> str:
    """`user` turns the offer down (the reason is optional). When every recipient of the
    step has declined — a sequential or cascade step has one — the lead moves on at once
    rather than waiting out the timer. Returns what became of the offer."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = Offer.objects.select_for_update().filter(pk=offer_id).first()
        answered = offer is not None and offer.responses.filter(rep=user).exists()
        if (
            offer is None
            or offer.state != OPEN
            or offer.expires_at <= now
            or user.pk not in offer.recipient_ids
            or answered
        ):
            raise _why_not(offer=offer, answered=answered, user=user, now=now)
        OfferResponse.objects.create(
            offer=offer,
            rep=user,
            response=OfferResponse.Response.DECLINED,
            responded_at=now,
            reason=chars_clean(reason).strip()[:200],  # PostgreSQL refuses a NUL
        )
        notify_offer_declined(rep=user)
        declined = set(
            offer.responses.filter(response=OfferResponse.Response.DECLINED).values_list(
                "rep_id", flat=True
            )
        )
        if not set(offer.recipient_ids) <= declined:
            notify_offer_closed(offer=offer, to=[user.pk])
            return "open"
        Offer.objects.filter(pk=offer.pk, state=OPEN).update(
            state=Offer.State.DECLINED, closed_at=now
        )
        notify_offer_closed(offer=offer)
        return _move_on(offer=offer, now=now, why="declined by everyone it was offered to")


# -- expiry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expiry:
    outcome: str  # "expired: <what became of the lead>", "closed", "not due", "missing"
    due_in: float = 0.0  # seconds left, when not due yet


def offer_expire(*, offer_id: int, now: datetime | None = None) -> Expiry:
    """Close the offer if it is open and due, and move its lead on. Idempotent: the close
    is a conditional UPDATE, so of two expiries (the countdown task, the sweep) or an
    expiry and an accept racing, one does it and the other finds it closed."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = Offer.objects.filter(pk=offer_id, state=OPEN, expires_at__lte=now).update(
            state=Offer.State.EXPIRED, closed_at=now
        )
        if not expired:
            offer = Offer.objects.filter(pk=offer_id).only("state", "expires_at").first()
            if offer is None:
                return Expiry("missing")
            if offer.state != OPEN:
                return Expiry("closed")
            return Expiry("not due", (offer.expires_at - now).total_seconds())
        offer = Offer.objects.get(pk=offer_id)
        notify_offer_closed(offer=offer)
        seconds = round((offer.expires_at - offer.sent_at).total_seconds())
        return Expiry("expired: " + _move_on(offer=offer, now=now, why=f"no accept in {seconds} s"))


# An offer at a time, each in its transaction: a fallback routes (rotation rows and reps'
# profiles locked), so holding a batch would hold those locks across offers, out of
# the engine's order (a deadlock with a router) and stalling routers and accepts meanwhile.
SWEEP_MAX_SECONDS = 10.0


def offers_expire_due(*, now: datetime | None = None) -> tuple[int, bool]:
    """The beat sweep's step: expire every offer due, one at a time, each taken with SKIP
    LOCKED (parallel sweeps share them; an offer an accept holds is its to decide) in a
    transaction of its own. Returns (offers expired, finished): unfinished after
    SWEEP_MAX_SECONDS, the caller publishes a successor. An offer that fails is logged and
    passed over for the rest of this sweep (the next one retries it), so a few that keep
    failing never stop the others."""
    deadline = time.monotonic() + SWEEP_MAX_SECONDS
    expired, failed = 0, []
    while time.monotonic() < deadline:
        at = now or timezone.now()
        offer_id = None
        try:
            with transaction.atomic():
                offer_id = (
                    Offer.objects.select_for_update(skip_locked=True)
                    .filter(state=OPEN, expires_at__lte=at)
                    .exclude(pk__in=failed)
                    .order_by("expires_at", "id")
                    .values_list("pk", flat=True)
                    .first()
                )
                if offer_id is None:
                    return expired, True
                expired += offer_expire(offer_id=offer_id, now=at).outcome.startswith("expired")
        except Exception:
            if offer_id is None:  # not one offer's trouble: the database's
                raise
            log.exception("Could not expire offer %s; the next sweep retries", offer_id)
            failed.append(offer_id)
    return expired, False


# -- withdrawal --------------------------------------------------------------------------


def offer_withdraw_open(*, lead: Lead, reason: str, now: datetime | None = None) -> Offer | None:
    """The lead's open offer, if any, is withdrawn: the lead leaves `offered` another way
    (a manager's hand-assign, an escalation). Its cards leave every recipient's pages once
    the caller commits; an accept after it hears "This offer is no longer open."

    pools' lead_transition calls this (through pools.signals.offered_leads_leaving) for
    every move out of `offered`, so a mover need not; calling it as well is harmless. Call
    it before taking the lead row: it takes the offer row first, as an accept does, and a
    mover holding the lead while an accept holds the offer would deadlock."""
    withdrawn = offers_withdraw_open(reasons={lead.pk: reason}, now=now)
    return withdrawn[0] if withdrawn else None


def offers_withdraw_open(*, reasons: dict[int, str], now: datetime | None = None) -> list[Offer]:
    """`offer_withdraw_open` for many leads ({lead id: reason}), in two round trips at most.
    An offer an accept is deciding is waited for: once the accept commits, it is no longer
    open and is left alone (the mover then finds its lead moved)."""
    now = now or timezone.now()
    # No savepoint: on an accept's path (its own move out of `offered`) this is one SELECT.
    with transaction.atomic(savepoint=False):
        offers = list(
            Offer.objects.select_for_update()
            .filter(lead_id__in=list(reasons), state=OPEN)
            .order_by("pk")
        )
        for offer in offers:
            offer.state, offer.closed_at = Offer.State.WITHDRAWN, now
            offer.close_reason = (reasons[offer.lead_id] or "The lead moved on")[:200]
        if offers:
            Offer.objects.bulk_update(offers, ["state", "closed_at", "close_reason"])
        for offer in offers:
            notify_offer_closed(offer=offer)
    return offers


def offered_leads_leaving_receiver(sender, *, reasons: dict[int, str], **kwargs) -> None:
    """Receiver of pools.signals.offered_leads_leaving (inside the mover's transaction)."""
    offers_withdraw_open(reasons=reasons)


# -- moving on ---------------------------------------------------------------------------


def _move_on(*, offer: Offer, now: datetime, why: str) -> str:
    """After `offer` closed without a winner: the plan's next step with anyone left to
    offer to (online, eligible, not having declined this lead's offer), else the rule's
    fallback through the engine. The lead never stays `offered` without an open offer.
    Under the offer's lock; takes the lead's."""
    lead = Lead.objects.select_for_update(of=("self",)).filter(pk=offer.lead_id).first()
    if lead is None or lead.status != LeadState.OFFERED:
        return "the lead had moved"
    if Offer.objects.filter(lead=lead, state=OPEN).exists():
        return "another offer is open"  # not ours to move (a fallback's new offer)
    steps = tuple(OfferStep.of(s) for s in offer.plan.get("steps", []))
    visited = tuple(offer.plan.get("visited", []))
    rule = RoutingRule.objects.filter(pk=offer.rule_id).first()
    declined = set(
        OfferResponse.objects.filter(
            offer__lead=lead, offer__series=offer.series, response=OfferResponse.Response.DECLINED
        ).values_list("rep_id", flat=True)
    )
    for k in range(offer.step + 1, len(steps)) if rule is not None else ():
        reps = [r for r in steps[k].rep_ids if r not in declined]
        if reps:
            online = users_online(user_ids=reps)
            reps = [r for r in reps if r in online]
        if reps:
            rechecked = lead_offer_recheck(lead=lead, rule=rule, rep_ids=reps, now=now, lock=False)
            reps = [r for r in reps if rechecked[r].exclusion is None]
        if reps:
            lead_transition(
                lead=lead,
                to=LeadState.OFFERED,
                reason=f"Live offer moved on ({why}): {steps[k].label}",
                data={"offer_step": k, "series": str(offer.series)},
            )
            offers_send(
                openings=[
                    Opening(
                        lead=lead,
                        rule=rule,
                        steps=steps,
                        step=k,
                        visited=visited,
                        series=offer.series,
                        recipients=tuple(reps),
                    )
                ],
                now=now,
            )
            return f"offered: {steps[k].label}"
    lead_offer_fallback(
        lead=lead,
        rule=rule,
        why=f"the live offer ended without an accept ({why})",
        visited=visited,
        now=now,
    )
    return f"fallback: {lead.status}"


__all__ = [
    "Expiry",
    "OfferError",
    "OfferExpired",
    "OfferNotYours",
    "OfferRefused",
    "OfferTaken",
    "offer_accept",
    "offer_decline",
    "offer_expire",
    "offer_withdraw_open",
    "offers_expire_due",
    "offers_withdraw_open",
]
