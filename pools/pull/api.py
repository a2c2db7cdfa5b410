"""`POST /api/pool/{id}/claim` for signed-in reps (session cookie + CSRF token).

The same service and rules as the Claim buttons. Errors are JSON with a stable `code` and
a message safe to show; none names a lead.
"""

from django.urls import reverse
from ninja import Router, Schema, Status
from ninja.security import django_auth

from pools.pull.claim import ClaimError, PoolUnavailable, lead_claim, pool_claim_next

router = Router(tags=["pools"])


class ClaimIn(Schema):
    lead_id: int | None = None  # preview pools; omit to claim the next lead


class ClaimOut(Schema):
    lead_id: int
    url: str


class ClaimErrorOut(Schema):
    code: str
    detail: str


@router.post(
    "/pool/{pool_id}/claim",
    auth=django_auth,
    response={200: ClaimOut, 403: ClaimErrorOut, 404: ClaimErrorOut, 409: ClaimErrorOut},
    summary="Claim a lead from a pool (a given one in preview pools, else the next)",
)
def claim(request, pool_id: int, payload: ClaimIn | None = None):
    user = request.auth
    try:
        # Not a rep → ClaimError 403 from the service itself (checked in its round trip).
        if payload is not None and payload.lead_id is not None:
            lead = lead_claim(user=user, lead_id=payload.lead_id, pool_id=pool_id)
        else:
            lead = pool_claim_next(user=user, pool_id=pool_id)
    except PoolUnavailable as exc:
        return Status(404, {"code": exc.code, "detail": exc.message})
    except ClaimError as exc:
        return Status(exc.status, {"code": exc.code, "detail": exc.message})
    return Status(200, {"lead_id": lead.pk, "url": reverse("pools:lead_detail", args=[lead.pk])})
