"""One evaluator for every condition over a lead: scoring rules (pools.screening.services) and
routing rules (routing.rules) read a lead's values and compare them here, so "equals",
"is one of" or "≥" mean the same thing in both.

Values compare as text, stripped and case-folded; a blank value (None, "" or spaces) holds
only "is empty" and "does not equal". Numbers are the first number in a value, so a band
("11-50", "1000+") compares by its lower end.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.conf import settings

from accounts.models import WEEKDAYS

OPERATORS = frozenset(
    {"equals", "not_equals", "contains", "in", "prefix", "range", "is_empty"}
    | {"gte", "lte", "gt", "lt"}
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class ConditionError(ValueError):
    """A condition that cannot be read; the message tells a person what to fix. Several
    (one per bad line of an editor's text) arrive together as `messages`."""

    def __init__(self, *messages: str):
        super().__init__("\n".join(messages))
        self.messages = list(messages)


def number(value) -> Decimal | None:
    """The first number in a value: 1000 for "1000+", 11 for the band "11-50"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    match = _NUMBER.search(str(value).replace(",", ""))
    try:
        return Decimal(match.group()) if match else None
    except InvalidOperation:
        return None


def norm(value) -> str:
    return str(value).strip().casefold() if value is not None else ""


def range_bound(value) -> Decimal | None:
    """A range's end as a rule gives it: a typed number, or None for an open end; a word
    there is a broken rule, reported rather than read as an open end."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ConditionError(f"“{value}” is not a number.") from None


def value_holds(op: str, actual, expected) -> bool:
    """Whether one value of a lead satisfies `op expected`."""
    text = norm(actual)
    if op == "is_empty":
        return (not text) == (expected in (True, None, "true", "yes"))
    if op == "not_equals":
        return text != norm(expected)
    if op not in OPERATORS:
        raise ConditionError(f"Unknown operator “{op}”.")
    if not text:
        return False
    if op == "equals":
        return text == norm(expected)
    if op == "contains":
        return bool(norm(expected)) and norm(expected) in text
    if op == "in":
        return text in {norm(v) for v in expected}
    if op == "prefix":
        return text.startswith(norm(expected))
    value = number(actual)
    if value is None:
        return False
    if op == "range":
        low, high = (range_bound(v) for v in expected)
        return (low is None or value >= low) and (high is None or value <= high)
    limit = number(expected)
    if limit is None:
        return False
    return {"gte": value >= limit, "lte": value <= limit, "gt": value > limit, "lt": value < limit}[
        op
    ]


def values_hold(op: str, values: list, expected) -> bool:
    """A field with several values (a source's name and slug) holds when one of them does;
    "does not equal" only when none is equal."""
    if op == "not_equals":
        return all(value_holds(op, v, expected) for v in values)
    return any(value_holds(op, v, expected) for v in values)


def condition_holds(condition: dict, fields: dict) -> bool:
    """A routing rule's condition ({"field", "op", "value"}) over `lead_fields`."""
    return value_holds(condition["op"], fields.get(condition["field"]), condition.get("value"))


def conditions_match(conditions: list, fields: dict) -> bool:
    """Groups (OR) of conditions (AND). No groups: matches every lead."""
    if not conditions:
        return True
    return any(all(condition_holds(c, fields) for c in group) for group in conditions)


# --- a lead's values ------------------------------------------------------------------


def arrival_time_zone() -> zoneinfo.ZoneInfo:
    """The zone in which a lead's arrival weekday and hour are read."""
    return zoneinfo.ZoneInfo(getattr(settings, "ROUTING_TIME_ZONE", None) or settings.TIME_ZONE)


def phone_area_code(phone: str) -> str:
    """The geographic area code of an E.164 number ("+5511912345678" → "11"), or ""."""
    if not phone:
        return ""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return ""
    length = phonenumbers.length_of_geographical_area_code(parsed)
    return str(parsed.national_number)[:length] if length else ""


def lead_fields(lead, *, source_slug: str | None = None) -> dict:
    """The fields routing rules name, of a lead (a model instance, saved or not)."""
    arrived = (lead.created_at or datetime.now(tz=zoneinfo.ZoneInfo("UTC"))).astimezone(
        arrival_time_zone()
    )
    if source_slug is None:
        source_slug = lead.source.slug if lead.source_id else ""
    return {
        "source": source_slug,
        "campaign": lead.campaign or "",
        "country": (lead.country or "").upper(),
        "state": lead.state or "",
        "city": lead.city or "",
        "postal_code": lead.postal_code or "",
        "area_code": phone_area_code(lead.phone),
        "industry": lead.industry or "",
        "company_size": lead.company_size or "",
        "language": (lead.language or "").lower(),
        "product_interest": lead.product_interest or "",
        "estimated_value": lead.estimated_value,
        "score": lead.score,
        "arrival_weekday": WEEKDAYS[arrived.weekday()],
        "arrival_hour": arrived.hour,
    }


def lead_field_values(lead, field: str) -> list:
    """The value(s) a scoring rule's field names on `lead`: a model field, `source` (by
    name or slug) or `attributes.<key>`."""
    if field.startswith("attributes."):
        return [(lead.attributes or {}).get(field.removeprefix("attributes."))]
    if field == "source":
        return [lead.source.name, lead.source.slug] if lead.source_id else [""]
    return [getattr(lead, field, None)]
