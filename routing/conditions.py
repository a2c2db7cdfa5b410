"""Rule conditions: a list of groups (OR) of conditions (AND) over lead fields.

Pure functions over a plain dict of lead fields (see `lead_fields`), so the admin form,
the engine and the "test a lead" page all read conditions the same way.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.conf import settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# field -> (label, numeric?)
FIELDS: dict[str, tuple[str, bool]] = {
    "source": ("Lead source (slug, e.g. paid_search)", False),
    "campaign": ("Campaign", False),
    "country": ("Country (ISO code, e.g. BR)", False),
    "state": ("State / region (e.g. SP)", False),
    "city": ("City", False),
    "postal_code": ("Postal code (use prefix)", False),
    "area_code": ("Phone area code (e.g. 11)", False),
    "industry": ("Industry / business segment", False),
    "company_size": ("Company-size band (e.g. 11-50)", False),
    "language": ("Language (ISO 639-1, e.g. pt)", False),
    "product_interest": ("Product interest", False),
    "estimated_value": ("Estimated value", True),
    "score": ("Score", True),
    "arrival_weekday": ("Arrival weekday (mon … sun)", False),
    "arrival_hour": ("Arrival hour, 0–23", True),
}
OPS = {
    "equals": "is exactly",
    "in": "is one of",
    "prefix": "starts with",
    "range": "is between (inclusive; null = open end)",
    "is_empty": "is empty (value true) / is filled in (value false)",
}


class ConditionError(ValueError):
    pass


def routing_time_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(getattr(settings, "ROUTING_TIME_ZONE", None) or settings.TIME_ZONE)


def phone_area_code(phone: str) -> str:
    """The geographic area code of an E.164 number ("+5511912345678" → "11"), or ""."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return ""
    length = phonenumbers.length_of_geographical_area_code(number)
    return str(number.national_number)[:length] if length else ""


def lead_fields(lead, *, source_slug: str | None = None) -> dict:
    """The routable fields of a lead (a model instance, saved or not)."""
    arrived = (lead.created_at or datetime.now(tz=zoneinfo.ZoneInfo("UTC"))).astimezone(
        routing_time_zone()
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


def _number(value):
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ConditionError(f"“{value}” is not a number.") from None


def _norm(value) -> str:
    return str(value).strip().casefold() if value is not None else ""


def condition_holds(condition: dict, fields: dict) -> bool:
    field, op, expected = condition["field"], condition["op"], condition.get("value")
    actual = fields.get(field)
    empty = actual is None or actual == ""
    if op == "is_empty":
        return empty if expected in (True, None, "true", "yes") else not empty
    if empty:
        return False
    if op == "equals":
        return _norm(actual) == _norm(expected)
    if op == "in":
        return _norm(actual) in {_norm(v) for v in expected}
    if op == "prefix":
        return _norm(actual).startswith(_norm(expected))
    if op == "range":
        low, high = (_number(v) for v in expected)
        value = _number(actual)
        return (low is None or value >= low) and (high is None or value <= high)
    raise ConditionError(f"Unknown operator “{op}”.")


def conditions_match(conditions: list, fields: dict) -> bool:
    """No groups: matches every lead. Otherwise any group whose conditions all hold."""
    if not conditions:
        return True
    return any(all(condition_holds(c, fields) for c in group) for group in conditions)


def conditions_validate(conditions) -> list:
    """Raise ConditionError with a message a non-developer can act on; return them."""
    if conditions in (None, ""):
        return []
    if not isinstance(conditions, list):
        raise ConditionError("Conditions must be a list of groups: [[…], […]] (or [] for all).")
    for g, group in enumerate(conditions, start=1):
        if isinstance(group, dict):
            raise ConditionError(
                f"Group {g} is a single condition; wrap it in brackets: [[{{…}}]]."
            )
        if not isinstance(group, list) or not group:
            raise ConditionError(f"Group {g} must be a non-empty list of conditions.")
        for c, cond in enumerate(group, start=1):
            where = f"Group {g}, condition {c}"
            if not isinstance(cond, dict):
                raise ConditionError(f'{where}: expected {{"field": …, "op": …, "value": …}}.')
            unknown = set(cond) - {"field", "op", "value"}
            if unknown:
                raise ConditionError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
            field, op, value = cond.get("field"), cond.get("op"), cond.get("value")
            if field not in FIELDS:
                raise ConditionError(
                    f"{where}: “{field}” is not a lead field. Use one of: {', '.join(FIELDS)}."
                )
            if op not in OPS:
                raise ConditionError(
                    f"{where}: “{op}” is not an operator. Use one of: {', '.join(OPS)}."
                )
            if op == "in" and (not isinstance(value, list) or not value):
                raise ConditionError(f'{where}: “in” needs a non-empty list, e.g. ["SP", "RJ"].')
            single = not isinstance(value, list | dict) and value not in (None, "")
            if op in ("equals", "prefix") and not single:
                raise ConditionError(f"{where}: “{op}” needs a single value.")
            if op == "range":
                if not isinstance(value, list) or len(value) != 2 or value == [None, None]:
                    raise ConditionError(
                        f"{where}: “range” needs [min, max], e.g. [1000, null] for “1000 or more”."
                    )
                if not FIELDS[field][1]:
                    raise ConditionError(
                        f"{where}: “range” only works on numeric fields "
                        "(estimated_value, score, arrival_hour)."
                    )
                try:
                    low, high = (_number(v) for v in value)
                except ConditionError as exc:
                    raise ConditionError(f"{where}: {exc}") from None
                if low is not None and high is not None and low > high:
                    raise ConditionError(f"{where}: the range minimum is above its maximum.")
            if op == "is_empty" and value not in (True, False, None):
                raise ConditionError(f"{where}: “is_empty” takes true or false.")
            if field == "arrival_weekday" and op in ("equals", "in"):
                days = value if isinstance(value, list) else [value]
                bad = [d for d in days if _norm(d) not in WEEKDAYS]
                if bad:
                    raise ConditionError(
                        f"{where}: {bad} are not weekdays ({', '.join(WEEKDAYS)})."
                    )
    return conditions


def conditions_describe(conditions: list) -> str:
    """A sentence for list columns and the decision panel."""
    if not conditions:
        return "every lead"
    groups = []
    for group in conditions:
        parts = []
        for c in group:
            value = c.get("value")
            if c["op"] == "in":
                text = f"{c['field']} in {', '.join(map(str, value))}"
            elif c["op"] == "range":
                low, high = value
                text = (
                    f"{c['field']} ≥ {low}"
                    if high is None
                    else f"{c['field']} ≤ {high}"
                    if low is None
                    else f"{c['field']} {low}–{high}"
                )
            elif c["op"] == "is_empty":
                text = f"{c['field']} {'is empty' if value in (True, None) else 'is filled in'}"
            elif c["op"] == "prefix":
                text = f"{c['field']} starts with {value}"
            else:
                text = f"{c['field']} = {value}"
            parts.append(text)
        groups.append(" and ".join(parts))
    return " or ".join(f"({g})" if len(groups) > 1 else g for g in groups)
