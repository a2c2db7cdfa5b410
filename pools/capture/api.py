"""Lead intake over HTTP: `POST /api/leads`, `GET /api/leads/{id}` (mounted on the shared
NinjaAPI in leadroute/api.py). Bearer API keys, one per lead source."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import wraps
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from ninja import Field, Header, Path, Router, Schema, Status
from ninja.errors import ValidationError
from ninja.security import HttpBearer
from pydantic import AfterValidator, ConfigDict, ValidationInfo, field_validator, model_validator

from pools.capture import normalise
from pools.capture.apikeys import apikey_authenticate
from pools.capture.services import CREATED, lead_capture
from pools.models import CAPTURED_FIELDS, Lead
from pools.money import MAX_AMOUNT, money_parse

MAX_ATTRIBUTES = 50
MAX_ATTRIBUTES_BYTES = 10_000


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        api_key = apikey_authenticate(raw=token)
        if api_key is not None:
            request.api_key = api_key
        return api_key


def _text(max_length: int):
    return Annotated[
        str,
        Field(default="", max_length=max_length),
        AfterValidator(lambda v: normalise.text_clean(v, max_length=max_length)),
    ]


def _sanitise(value: Any, depth: int = 0) -> Any:
    """Free attributes are stored as jsonb: strip what PostgreSQL refuses (NUL, lone
    surrogates) and refuse absurd nesting."""
    if depth > 5:
        raise ValueError("Attributes nest at most 5 levels deep.")
    if isinstance(value, str):
        return normalise.chars_clean(value)
    if isinstance(value, dict):
        return {
            normalise.chars_clean(str(k))[:100]: _sanitise(v, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_sanitise(v, depth + 1) for v in value]
    return value


def _non_finite_at(value: Any, path: str = "") -> str | None:
    """Where `value` holds a NaN or an infinity, as a dotted path ("" for none). Python's
    json reads 1e999 as inf and takes the non-standard NaN and Infinity; jsonb and numeric
    columns refuse them."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "the body"
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        if (found := _non_finite_at(item, f"{path}.{key}" if path else str(key))) is not None:
            return found
    return None


class LeadIn(Schema):
    """A lead. Give an e-mail or a phone (or both); any other field you send is kept in the
    lead's free attributes, and the answer lists it in `unknown_fields`."""

    model_config = ConfigDict(extra="allow")

    first_name: _text(100)
    last_name: _text(100)
    email: str = Field(default="", max_length=254, examples=["ana@example.com"])
    # Country comes before phone: a phone without +country code is read in that country.
    country: str = Field(
        default="", max_length=60, description="ISO 3166 alpha-2 or a name.", examples=["BR"]
    )
    phone: str = Field(default="", max_length=40, examples=["+55 11 91234-5678"])
    company: _text(200)
    title: _text(100)
    industry: _text(100)
    company_size: _text(20)
    state: _text(100)
    city: _text(100)
    postal_code: _text(20)
    language: _text(10)
    product_interest: _text(100)
    estimated_value: Decimal | None = Field(
        default=None,
        ge=0,
        le=MAX_AMOUNT,
        allow_inf_nan=False,
        description="A JSON number (12500.5), or a string without a thousands separator "
        '("12500.50"); a string like "12.500" that reads differently with a decimal '
        "comma is refused.",
    )
    campaign: _text(100)
    landing_page: _text(200)
    external_id: _text(100) = Field(
        default="", description="Your id: posting it again returns the same lead."
    )
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise.email_normalise(value)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return normalise.country_normalise(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str, info: ValidationInfo) -> str:
        return normalise.phone_normalise(value, country=info.data.get("country", ""))

    @field_validator("estimated_value", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Decimal | None:
        # Before pydantic's own Decimal parsing, which would read "12.500" as 12.5.
        return money_parse(value, decimal_mark=None)

    @model_validator(mode="after")
    def _contact(self):
        if not self.email and not self.phone:
            raise ValueError("Give an e-mail or a phone number.")
        return self

    def lead_fields(self) -> dict:
        return {name: getattr(self, name) for name in CAPTURED_FIELDS}


def error_message(msg: str) -> str:
    """A validation message as its person reads it: pydantic opens a validator's own words
    with "Value error, " ("Value error, Give an e-mail or a phone number.")."""
    return str(msg).removeprefix("Value error, ")


def body_object(request) -> dict[str, Any]:
    """The body as a JSON object, else the API's 422 saying what it is instead. Django
    refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE on reading it (413, leadroute/api.py)."""
    try:
        document = json.loads(request.body)
    except (ValueError, RecursionError):  # RecursionError: [[[[…]]]] nested past the stack
        raise ValidationError(
            [{"type": "json_invalid", "loc": ["body"], "msg": "The body is not valid JSON."}]
        ) from None
    if not isinstance(document, dict):
        raise ValidationError(
            [
                {
                    "type": "dict_type",
                    "loc": ["body"],
                    "msg": 'The body must be a JSON object, e.g. {"email": "ana@example.com"}.',
                }
            ]
        )
    return document


def unknown_fields(request) -> dict:
    """The body's fields that are not the schema's: kept as free attributes. Ninja keeps
    only the schema's own fields, so they are read from the raw body (already parsed once
    by ninja, so it is valid JSON)."""
    try:
        body = json.loads(request.body)
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    return {k: v for k, v in body.items() if k not in LeadIn.model_fields}


def attributes_clean(extra: dict, *, loc: tuple = ("body", "payload", "attributes")) -> dict:
    """Free attributes cleaned for jsonb and held to the API's limits; else a 422 naming
    `loc`. Every inbound door (the API, the webhooks) keeps attributes through this."""
    problem = None
    try:
        extra = _sanitise(extra)
    except ValueError as exc:
        problem = str(exc)
    if (path := _non_finite_at(extra)) is not None:
        problem = (
            f"Numbers must be finite: {path} is not (JSON has no NaN or Infinity, and a "
            "number beyond ±1.8e308 reads as infinite)."
        )
    elif len(extra) > MAX_ATTRIBUTES:
        problem = f"At most {MAX_ATTRIBUTES} free attributes."
    elif len(json.dumps(extra, default=str)) > MAX_ATTRIBUTES_BYTES:
        problem = f"Free attributes take at most {MAX_ATTRIBUTES_BYTES} bytes."
    if problem:
        raise ValidationError([{"type": "value_error", "loc": list(loc), "msg": problem}])
    return extra


class LeadOut(Schema):
    id: int
    state: str
    outcome: str = Field(
        description="created, replayed (same external_id or Idempotency-Key)"
        " or merged (joined an open lead with the same contact); existing when read"
        " with GET"
    )
    score: int
    rejection_reason: str
    external_id: str
    created_at: datetime
    unknown_fields: list[str] = Field(
        default_factory=list,
        description="Fields of this post that are not lead fields, kept in the lead's free "
        "attributes: a misspelt field name shows here.",
    )


class Error(Schema):
    detail: str


router = Router(tags=["leads"], auth=ApiKeyAuth())


def server_timing(view):
    """Server-Timing header (auth, parsing, validation and the database work), so
    bench/intake.py can tell server time from network and client time."""

    @wraps(view)
    def timed(request, *args, **kwargs):
        started = time.perf_counter()
        response = view(request, *args, **kwargs)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response

    return timed


router.add_decorator(server_timing, mode="view")


def lead_out(lead: Lead, outcome: str, *, unknown: Iterable[str] = ()) -> dict:
    return {
        "id": lead.pk,
        "state": lead.status,
        "outcome": outcome,
        "score": lead.score,
        "rejection_reason": lead.rejection_reason,
        "external_id": lead.external_id,
        "created_at": lead.created_at,
        "unknown_fields": sorted(unknown),
    }


def _rate_limited(request) -> JsonResponse | None:
    return rate_limited(bucket=f"apikey:{request.api_key.key_hash[:20]}")


def rate_limited(*, bucket: str) -> JsonResponse | None:
    """A 429 (with Retry-After) when `bucket` is over the API's rate limit, else None."""
    from pools.capture.ratelimit import rate_limit_hit

    limit = getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 600)
    retry_after = rate_limit_hit(bucket=bucket, limit=limit)
    if retry_after is None:
        return None
    response = JsonResponse(
        {"detail": f"Rate limit of {limit} requests a minute exceeded; retry in {retry_after} s."},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


@router.post(
    "/leads",
    response={200: LeadOut, 201: LeadOut, 401: Error, 429: Error},
    summary="Capture a lead",
)
def lead_post(
    request,
    payload: LeadIn,
    idempotency_key: str = Header(default="", alias="Idempotency-Key", max_length=255),
):
    """Creates a lead (201) and hands it to screening and routing. A repeat of an earlier
    post (same `external_id`, or same `Idempotency-Key` header) returns that lead (200); an
    inquiry matching an open lead's e-mail or phone joins it (200, outcome `merged`)."""
    if (limited := _rate_limited(request)) is not None:
        return limited
    extra = unknown_fields(request)
    result = lead_capture(
        source=request.api_key.source,
        fields=payload.lead_fields(),
        attributes=attributes_clean({**payload.attributes, **extra}),
        idempotency_key=normalise.chars_clean(idempotency_key or "").strip(),
        channel="api",
        merge_within_source=True,
    )
    return Status(
        201 if result.outcome == CREATED else 200,
        lead_out(result.lead, result.outcome, unknown=extra),
    )


@router.get(
    "/leads/{lead_id}",
    response={200: LeadOut, 401: Error, 404: Error, 429: Error},
    summary="Read a lead back",
)
def lead_get(request, lead_id: int = Path(..., ge=1, le=2**63 - 1)):
    """A lead captured through this key's source: its state, score and rejection reason."""
    if (limited := _rate_limited(request)) is not None:
        return limited
    lead = Lead.objects.filter(pk=lead_id, source=request.api_key.source).first()
    if lead is None:
        return Status(404, {"detail": "No such lead for this source."})
    return Status(200, lead_out(lead, "existing"))
