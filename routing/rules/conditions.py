"""Routing rules' conditions as people write and read them: a list of groups (OR) of
conditions (AND) over lead fields, checked, described, and parsed from the admin's text.

Evaluating them is pools.screening.conditions' (one evaluator for scoring and routing rules).
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal

from accounts.models import WEEKDAYS
from pools.money import MAX_AMOUNT, money_parse
from pools.screening.conditions import ConditionError, norm, range_bound
from pools.screening.known_values import condition_values_check

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
            condition_validate(cond, where=f"Group {g}, condition {c}")
    return conditions


def condition_validate(cond, *, where: str) -> None:
    """One condition's checks; `where` opens each message ("Group 1, condition 2")."""
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
        raise ConditionError(f"{where}: “{op}” is not an operator. Use one of: {', '.join(OPS)}.")
    if op == "in" and (not isinstance(value, list) or not value):
        raise ConditionError(f"{where}: “in” needs at least one value, e.g. in SP, RJ.")
    single = not isinstance(value, list | dict) and value not in (None, "")
    if op in ("equals", "prefix") and not single:
        word = "=" if op == "equals" else "starts with"
        raise ConditionError(f"{where}: “{word}” needs one value after it.")
    if op == "range":
        if not isinstance(value, list) or len(value) != 2 or value == [None, None]:
            raise ConditionError(
                f"{where}: “range” needs [min, max], e.g. [1000, null] for “1000 or more”."
            )
        if not FIELDS[field][1]:
            raise ConditionError(
                f"{where}: a range (≥, ≤, from–to) only works on numeric fields "
                f"({', '.join(k for k, (_, numeric) in FIELDS.items() if numeric)})."
            )
        try:
            low, high = (range_bound(v) for v in value)
        except ConditionError as exc:
            raise ConditionError(f"{where}: {exc}") from None
        if low is not None and high is not None and low > high:
            raise ConditionError(f"{where}: the range minimum is above its maximum.")
    if op == "is_empty" and value not in (True, False, None):
        raise ConditionError(f"{where}: “is_empty” takes true or false.")
    if field == "arrival_hour" and op in ("equals", "in", "range"):
        hours = value if isinstance(value, list) else [value]
        bad = [str(h) for h in hours if h is not None and not _is_hour(h)]
        if bad:
            verb = "is not an hour" if len(bad) == 1 else "are not hours"
            raise ConditionError(
                f"{where}: {', '.join(bad)} {verb} (0 to 23, the lead's local hour)."
            )
    if field == "arrival_weekday" and op in ("equals", "in"):
        days = value if isinstance(value, list) else [value]
        bad = [str(d) for d in days if norm(d) not in WEEKDAYS]
        if bad:
            verb = "is not a weekday" if len(bad) == 1 else "are not weekdays"
            raise ConditionError(f"{where}: {', '.join(bad)} {verb} ({', '.join(WEEKDAYS)}).")


def _hours_canonical(cond: dict) -> dict:
    """An hour as the lead's is compared: "07" and "7.0" are 7 (as text they never match)."""
    if cond["field"] != "arrival_hour" or cond["op"] not in ("equals", "in"):
        return cond
    values = cond["value"] if cond["op"] == "in" else [cond["value"]]
    hours = [str(int(Decimal(str(v).strip()))) for v in values]  # validated: whole hours
    return {**cond, "value": hours if cond["op"] == "in" else hours[0]}


def _is_hour(value) -> bool:
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return False
    return number == number.to_integral_value() and 0 <= number <= 23


def condition_text(cond: dict) -> str:
    """One condition as a person writes it, "state in SP, RJ": the sentence of
    `conditions_describe` and a line of the admin's editor (`conditions_parse` reads it
    back)."""
    field, op, value = cond["field"], cond["op"], cond.get("value")
    if op == "in":
        return f"{field} in {_joined(value)}"
    if op == "range":
        low, high = value
        if high is None:
            return f"{field} ≥ {low}"
        if low is None:
            return f"{field} ≤ {high}"
        return f"{field} {low}–{high}"
    if op == "is_empty":
        return f"{field} {'is empty' if value in (True, None) else 'is filled in'}"
    if op == "prefix":
        return f"{field} starts with {_quoted(str(value))}"
    return f"{field} = {_quoted(str(value))}"


def conditions_describe(conditions: list) -> str:
    """A sentence for list columns and the decision panel."""
    if not conditions:
        return "every lead"
    groups = [" and ".join(condition_text(c) for c in group) for group in conditions]
    return " or ".join(f"({g})" if len(groups) > 1 else g for g in groups)


# -- the admin's text form -----------------------------------------------------------------
# A condition a line, "or" alone on a line between groups: what `condition_text` writes.

OR = "or"
SYNTAX = (
    "One condition a line; a lead matches when every line of a group holds. A line that "
    "says just “or” starts another group. Empty: every lead. Write a line as "
    "<code>field = value</code>, <code>field in a, b, c</code>, "
    "<code>field starts with value</code>, <code>field ≥ number</code> (or &gt;=), "
    "<code>field ≤ number</code> (or &lt;=), <code>field 1000–5000</code> (or 1000 to 5000), "
    "<code>field is empty</code>, <code>field is filled in</code>. "
    'Quote a value that holds a comma: <code>city in "Washington, DC", Boston</code>.'
)
_HEAD = re.compile(r"([A-Za-z_]*)\s*(.*)$")
_NUMBER = r"-?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"^({_NUMBER})\s*(?:–|—|-|to)\s*({_NUMBER})$", re.IGNORECASE)
_BOUND = re.compile(rf"^(≥|>=|≤|<=)\s*({_NUMBER})$")
_COMPARED = re.compile(r"^(?:≥|>=|≤|<=)\s*(\S.*)$")
_QUOTES = (
    "a quote is left open, or text follows a closing quote: write a quoted value whole, "
    '"Washington, DC", and double a quote inside one ("").'
)
_HOW = (
    "say how to compare: = value, in a, b, starts with value, ≥ number, ≤ number, "
    "number–number, is empty or is filled in"
)


def conditions_text(conditions: list) -> str:
    """Conditions as the editor shows them: a condition a line, "or" between groups."""
    return f"\n{OR}\n".join("\n".join(condition_text(c) for c in group) for group in conditions)


def conditions_parse(text: str, *, check_known: bool = False) -> list:
    """The editor's text as conditions, checked. Raises ConditionError naming every bad
    line at once (`messages`), so one save shows all there is to fix. `check_known` also
    checks values against the known ones (a few queries; the admin's form asks for it,
    `pools.screening.known_values`)."""
    groups: list[list[dict]] = [[]]
    known_cache: dict = {}
    errors: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        where = f"Line {number} (“{line}”)"
        if line.casefold() == OR:
            if not groups[-1]:
                errors.append(f"{where}: “or” needs a condition above it.")
            else:
                groups.append([])
            continue
        try:
            cond = _line_condition(line, where)
            condition_validate(cond, where=where)
            cond = _hours_canonical(cond)
            if check_known and cond["op"] in ("equals", "in"):
                values = cond["value"] if cond["op"] == "in" else [cond["value"]]
                try:
                    condition_values_check(field=cond["field"], values=values, cache=known_cache)
                except ConditionError as exc:
                    raise ConditionError(f"{where}: {exc}") from None
        except ConditionError as exc:
            errors.extend(exc.messages)
            # A bad line still holds its place: an "or" below it is not left dangling.
            groups[-1].append(None)
            continue
        groups[-1].append(cond)
    if not groups[-1]:
        if len(groups) > 1:
            errors.append("The last “or” needs a condition below it.")
        groups.pop()
    if errors:
        raise ConditionError(*errors)
    return groups


def _line_condition(line: str, where: str) -> dict:
    # The field is the leading word, spaced or not: "country=BR", "score>=50".
    head = _HEAD.match(line)
    field, rest = head.group(1).lower(), head.group(2).strip()
    if field not in FIELDS:
        raise ConditionError(f"{where}: start with a lead field, one of: {', '.join(FIELDS)}.")
    lowered = rest.casefold()
    if rest.startswith("=") and not rest.startswith("=="):
        return _cond(field, "equals", _unquoted(rest[1:].strip(), where))
    if lowered == "in" or lowered.startswith("in "):
        return _cond(field, "in", _split(rest[2:], where))
    if lowered.startswith("starts with"):
        return _cond(field, "prefix", _unquoted(rest[len("starts with ") :].strip(), where))
    if lowered in ("is empty", "is blank"):
        return _cond(field, "is_empty", True)
    if lowered in ("is filled in", "is not empty"):
        return _cond(field, "is_empty", False)
    bound = _BOUND.match(rest)
    if bound:
        value = _json_number(_amount_checked(field, bound.group(2), where), where)
        return _cond(
            field, "range", [value, None] if bound.group(1) in ("≥", ">=") else [None, value]
        )
    span = _RANGE.match(rest)
    if span:
        low, high = (_amount_checked(field, span.group(i), where) for i in (1, 2))
        return _cond(field, "range", [_json_number(low, where), _json_number(high, where)])
    compared = _COMPARED.match(rest)
    if compared:  # the comparison is right, the number is not: say so, not "how to compare"
        _amount_checked(field, compared.group(1), where)  # money's own words ("ambiguous")
        raise ConditionError(
            f"{where}: “{compared.group(1)}” is not a number: write digits, without "
            "thousands separators, and a point for decimals (10000, 12.5)."
        )
    raise ConditionError(f"{where}: after “{field}”, {_HOW}.")


def _cond(field: str, op: str, value) -> dict:
    return {"field": field, "op": op, "value": value}


def _split(text: str, where: str) -> list[str]:
    """ "a, b, "c, d"" → ["a", "b", "c, d"] (csv's quoting, blanks dropped). Strict: a
    quote left open would otherwise swallow the rest of the line into one value."""
    try:
        row = next(csv.reader([text], skipinitialspace=True, strict=True), [])
    except csv.Error:
        raise ConditionError(f"{where}: {_QUOTES}") from None
    return [item.strip() for item in row if item.strip()]


def _unquoted(text: str, where: str) -> str:
    """One value, quoted or not: "Washington, DC" → Washington, DC (csv's quoting)."""
    if not text.startswith('"'):
        return text
    items = _split(text, where)
    if len(items) != 1:
        raise ConditionError(f"{where}: {_QUOTES}")
    return items[0]


def _joined(values) -> str:
    """`_split`'s inverse: values joined by commas, quoted (csv-style) where needed."""
    return ", ".join(_quoted(str(v)) for v in values)


def _quoted(text: str) -> str:
    if "," in text or '"' in text or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def _amount_checked(field: str, text: str, where: str) -> str:
    """An estimated value is money: "12.500" is refused as ambiguous (`pools.money`), not
    read as twelve and a half."""
    if field == "estimated_value":
        try:
            money_parse(text, decimal_mark=None, minimum=-MAX_AMOUNT)
        except ValueError as exc:
            raise ConditionError(f"{where}: {exc}") from None
    return text


# No lead field holds a number this large (scores, hours, amounts up to 10¹⁰); a longer
# one is a typo, and as a float it would be infinite, which JSON cannot store.
_LARGEST = Decimal(10) ** 15


def _json_number(text: str, where: str) -> int | float:
    """A typed number as JSON keeps it: 1000 stays an integer."""
    number = Decimal(text)
    if abs(number) >= _LARGEST:
        raise ConditionError(f"{where}: that number is larger than any lead's value.")
    return int(number) if number == number.to_integral_value() else float(number)
