"""`POST /api/offers/{id}/accept` and `/decline` for signed-in reps (session cookie + CSRF
token): the same services as the card's buttons. Errors are JSON with a stable `code` and a
message safe to show; none names a lead."""

from django.urls import reverse
from ninja import Router, Schema, Status
from ninja.security import django_auth

from accounts.roles import Role, has_role

from .services import OfferError, offer_accept, offer_decline

router = Router(tags=["offers"])


class AcceptOut(Schema):
    lead_id: int
    url: str


class DeclineIn(Schema):
    reason: str = ""


class DeclineOut(Schema):
    offer: str  # "open" (others may still take it), or where the lead went on to


class OfferErrorOut(Schema):
    code: str
    detail: str


ERRORS = {403: OfferErrorOut, 409: OfferErrorOut}


def _not_a_rep():
    return Status(403, {"code": "not_a_rep", "detail": "Only reps answer live offers."})


@router.post(
    "/offers/{offer_id}/accept",
    auth=django_auth,
    response={200: AcceptOut, **ERRORS},
    summary="Accept a live offer made to you: the lead is yours if you are first",
)
def accept(request, offer_id: int):
    if not has_role(request.auth, Role.REP):
        return _not_a_rep()
    try:
        lead = offer_accept(offer_id=offer_id, user=request.auth)
    except OfferError as exc:
        return Status(exc.status, {"code": exc.code, "detail": exc.message})
    return Status(200, {"lead_id": lead.pk, "url": reverse("pools:lead_detail", args=[lead.pk])})


@router.post(
    "/offers/{offer_id}/decline",
    auth=django_auth,
    response={200: DeclineOut, **ERRORS},
    summary="Decline a live offer made to you, with an optional reason",
)
def decline(request, offer_id: int, payload: DeclineIn | None = None):
    if not has_role(request.auth, Role.REP):
        return _not_a_rep()
    reason = payload.reason if payload is not None else ""
    try:
        outcome = offer_decline(offer_id=offer_id, user=request.auth, reason=reason)
    except OfferError as exc:
        return Status(exc.status, {"code": exc.code, "detail": exc.message})
    return Status(200, {"offer": outcome})
