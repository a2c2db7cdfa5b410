"""The webhooks' endpoints (mounted on the shared NinjaAPI beside /api/leads):

- `POST /api/hooks/google-ads/{source slug}`: Google's lead form payload; the key is the
  `google_key` in the body.
- `POST /api/hooks/json/{source slug}`: any JSON object, read through the hook's mapping;
  the key is the `X-Webhook-Key` header.

Each answers fast: the lead is committed, screening and routing follow after commit."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Header, Path, Router, Status

from pools.capture.api import Error, LeadOut, body_object, lead_out, rate_limited, server_timing
from pools.capture.services import CREATED
from pools.capture.webhooks.google_ads import GoogleLeadIn, google_lead_read
from pools.capture.webhooks.intake import lead_in_check, webhook_capture
from pools.capture.webhooks.mapping import mapping_apply
from pools.capture.webhooks.secrets import hook_for, hook_secret_matches
from pools.models import InboundHook

router = Router(tags=["webhooks"])
router.add_decorator(server_timing, mode="view")

_SLUG = Path(..., max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")
_NO_HOOK = {"detail": "No such webhook: check the source's address in LeadRoute's admin."}
_WRONG_KEY = {"detail": "Wrong key for this webhook."}


def _hook_checked(slug: str, kind: str, key: str):
    """(hook, None) for a good key, else (None, the answer): 404 without an active hook,
    403 for a wrong key, 429 over the rate limit (counted only for the right key, so
    strangers cannot use up the source's allowance)."""
    hook = hook_for(slug=slug, kind=kind)
    if hook is None:
        return None, Status(404, _NO_HOOK)
    if not hook_secret_matches(hook=hook, given=key):
        return None, Status(403, _WRONG_KEY)
    if (limited := rate_limited(bucket=f"hook:{hook.pk}")) is not None:
        return None, limited
    return hook, None


@router.post(
    "/hooks/google-ads/{slug}",
    response={200: LeadOut, 403: Error, 404: Error, 413: Error, 429: Error},
    summary="Google Ads lead form webhook",
)
def google_ads_lead(request: HttpRequest, payload: GoogleLeadIn, slug: str = _SLUG):
    """Google's lead form webhook payload. Set the hook's address and key in the Google Ads
    lead form. `google_key` must be the hook's secret (403 otherwise, nothing stored);
    Google's retries of a `lead_id` return the lead the first made (200); `is_test` leads
    are kept, marked as test, and never routed."""
    hook, refusal = _hook_checked(slug, InboundHook.Kind.GOOGLE_ADS, payload.google_key)
    if refusal is not None:
        return refusal
    values, attributes, where = google_lead_read(payload)
    result = webhook_capture(
        source=hook.source,
        lead=lead_in_check(values, where=where),
        attributes=attributes,
        channel="Google Ads lead form",
        # lead_id is the external id when it fits (100 characters); a longer one is
        # remembered as an idempotency key instead (a row more per lead, so only then).
        idempotency_key="" if "external_id" in values else f"google-ads:{payload.lead_id}",
        is_test=payload.is_test,
    )
    # Google wants a 200 for every lead it may stop sending, new or repeated.
    return Status(200, lead_out(result.lead, result.outcome))


@router.post(
    "/hooks/json/{slug}",
    response={200: LeadOut, 201: LeadOut, 403: Error, 404: Error, 413: Error, 429: Error},
    summary="Mapped JSON webhook",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "Any JSON object; the hook's mapping (set in the admin) says which "
            "dotted path holds which lead field.",
        }
    },
)
def mapped_json_lead(
    request: HttpRequest,
    slug: str = _SLUG,
    key: str = Header(default="", alias="X-Webhook-Key", max_length=500),
    idempotency_key: str = Header(default="", alias="Idempotency-Key", max_length=255),
):
    """A JSON object in the sender's own shape, read through the hook's mapping and then
    validated as `POST /api/leads` validates (422 with each error at its path). 201 for a
    new lead; 200 for a repeat (same mapped external id or `Idempotency-Key`) or a merge."""
    hook, refusal = _hook_checked(slug, InboundHook.Kind.MAPPED_JSON, key)
    if refusal is not None:
        return refusal
    document = body_object(request)
    values, attributes, _ = mapping_apply(hook.mapping, document)
    where = {target: path.split(".") for path, target in hook.mapping.items()}
    result = webhook_capture(
        source=hook.source,
        lead=lead_in_check(values, where=where),
        attributes=attributes,
        channel="webhook",
        idempotency_key=idempotency_key,
    )
    return Status(201 if result.outcome == CREATED else 200, lead_out(result.lead, result.outcome))
