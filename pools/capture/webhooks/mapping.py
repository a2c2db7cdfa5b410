"""A mapped JSON hook's mapping: "dotted path in the posted JSON → lead field". Pure
functions: the admin validates and previews with them, the endpoint reads with them."""

from __future__ import annotations

import re
from typing import Any

from pools.models import CAPTURED_FIELDS

FULL_NAME = "full_name"  # split into first and last name (normalise.name_split)
ATTRIBUTE_PREFIX = "attributes."  # "attributes.budget": kept in the lead's free attributes
TARGETS = (*CAPTURED_FIELDS, FULL_NAME)
MAX_PATHS = 60
MAX_PATH_LENGTH = 200
# Segments of letters, digits and _ - $ @ :, joined by dots; a segment of digits indexes a
# list (contact.emails.0.value).
_PATH = re.compile(r"[A-Za-z0-9_$@:-]+(\.[A-Za-z0-9_$@:-]+)*")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_ -]{1,100}")
_MISSING = object()


def path_problem(path: Any) -> str:
    """Why `path` is not a path we can read ("" when it is)."""
    if not isinstance(path, str) or not path:
        return "A path is text like contact.emails.0.value."
    if len(path) > MAX_PATH_LENGTH:
        return f"“{path[:40]}…” is longer than {MAX_PATH_LENGTH} characters."
    if not _PATH.fullmatch(path):
        return (
            f"“{path}” is not a dotted path: names of letters, digits and _ - $ @ : joined "
            "by single dots (no spaces, no empty names), e.g. contact.emails.0.value."
        )
    return ""


def target_problem(target: Any) -> str:
    if isinstance(target, str) and target.startswith(ATTRIBUTE_PREFIX):
        if _ATTRIBUTE_NAME.fullmatch(target[len(ATTRIBUTE_PREFIX) :]):
            return ""
        return f"“{target}”: an attribute's name is 1–100 letters, digits, spaces, _ or -."
    if target in TARGETS:
        return ""
    return (
        f"“{target}” is not a lead field. Use one of: {', '.join(TARGETS)}, or "
        "attributes.<name> to keep the value as a free attribute."
    )


def mapping_problems(mapping: Any) -> list[str]:
    """Everything wrong with a mapping, each in a sentence for the admin."""
    if not isinstance(mapping, dict):
        return ['The mapping is a JSON object: {"dotted.path": "lead field", …}.']
    problems = [p for path in mapping for p in [path_problem(path)] if p]
    problems += [p for target in mapping.values() for p in [target_problem(target)] if p]
    targets = [t for t in mapping.values() if isinstance(t, str)]
    for target in sorted({t for t in targets if targets.count(t) > 1}):
        paths = ", ".join(p for p, t in mapping.items() if t == target)
        problems.append(f"“{target}” is mapped from several paths ({paths}); choose one.")
    if len(mapping) > MAX_PATHS:
        problems.append(f"At most {MAX_PATHS} paths.")
    if not {"email", "phone"} & set(targets):
        problems.append("Map a path to email or phone: every lead needs one of them.")
    return problems


def path_read(document: Any, path: str) -> Any:
    """The value at `path`, or _MISSING. Dict keys by name, list items by index."""
    value = document
    for segment in path.split("."):
        if isinstance(value, dict) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return _MISSING
    return value


def mapping_apply(mapping: dict[str, str], document: Any) -> tuple[dict, dict, list[str]]:
    """(values by lead field, free attributes, paths that found nothing) for a document.
    Values are as posted; validation is the API's (pools.capture.webhooks.intake)."""
    fields, attributes, missing = {}, {}, []
    for path, target in mapping.items():
        value = path_read(document, path)
        if value is _MISSING or value is None:
            missing.append(path)
        elif target.startswith(ATTRIBUTE_PREFIX):
            attributes[target[len(ATTRIBUTE_PREFIX) :]] = value
        else:
            fields[target] = value
    return fields, attributes, missing
