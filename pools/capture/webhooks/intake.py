"""What every webhook does once it has read its body into the API's lead shape: validate
as the API validates, then capture through the one capture service."""

from __future__ import annotations

import pydantic
from ninja.errors import ValidationError

from pools.capture import normalise
from pools.capture.api import LeadIn, attributes_clean, error_message
from pools.capture.services import CaptureResult, lead_capture
from pools.capture.webhooks.mapping import FULL_NAME
from pools.models import LeadSource


def lead_in_check(values: dict, *, where: dict | None = None) -> LeadIn:
    """`values` (lead field → value as posted) validated by the API's own schema. A failure
    is the API's 422, each error located where its value came from in the posted body
    (`where`: lead field → loc), so the sender can find it."""
    where = where or {}
    data = {k: v for k, v in values.items() if k != FULL_NAME}
    if (full := values.get(FULL_NAME)) and not (data.get("first_name") or data.get("last_name")):
        if isinstance(full, str):
            data["first_name"], data["last_name"] = normalise.name_split(full)
        else:
            data["first_name"] = full  # refused below, as the wrong type it is
    for name, value in data.items():
        # Tools post phones and postal codes as numbers; a lead's text field takes them.
        if (
            name != "estimated_value"
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            data[name] = str(value)
    try:
        return LeadIn.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(
            [
                {
                    "type": error["type"],
                    "loc": ["body", *where.get(error["loc"][0], error["loc"][:1])]
                    if error["loc"]
                    else ["body"],
                    "msg": error_message(error["msg"]),
                }
                for error in exc.errors(include_url=False)
            ]
        ) from None


def webhook_capture(
    *,
    source: LeadSource,
    lead: LeadIn,
    attributes: dict,
    channel: str,
    idempotency_key: str = "",
    is_test: bool = False,
) -> CaptureResult:
    """Capture as the API does: same dedupe (within the source), idempotency, hand-off to
    screening and routing after commit."""
    return lead_capture(
        source=source,
        fields=lead.lead_fields(),
        attributes=attributes_clean(attributes, loc=("body",)),
        idempotency_key=normalise.chars_clean(idempotency_key).strip()[:255],
        channel=channel,
        merge_within_source=True,
        is_test=is_test,
    )
