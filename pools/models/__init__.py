"""The pools app's models, one module per concept, all imported from here (`pools.models`)."""

from pools.models.capture import (
    ApiKey,
    IdempotencyKey,
    ImportDuplicate,
    ImportJob,
    ImportRowError,
)
from pools.models.fields import (
    CAPTURED_FIELDS,
    COMPANY_FIELDS,
    FORM_FIELDS,
    PREVIEWABLE_FIELDS,
    PROTECTED_FIELDS,
    default_form_fields,
    validate_form_fields,
)
from pools.models.inbound import InboundHook
from pools.models.lead import Lead, LeadEvent
from pools.models.pool import Pool
from pools.models.screening import ScoringRule
from pools.models.sources import LeadSource, SourceRestriction

__all__ = [
    "CAPTURED_FIELDS",
    "COMPANY_FIELDS",
    "FORM_FIELDS",
    "PREVIEWABLE_FIELDS",
    "PROTECTED_FIELDS",
    "ApiKey",
    "IdempotencyKey",
    "ImportDuplicate",
    "ImportJob",
    "ImportRowError",
    "InboundHook",
    "Lead",
    "LeadEvent",
    "LeadSource",
    "Pool",
    "ScoringRule",
    "SourceRestriction",
    "default_form_fields",
    "validate_form_fields",
]
