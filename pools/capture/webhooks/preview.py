"""The admin's "test the mapping": what a pasted sample would become, through the very
functions the endpoint uses, with nothing stored."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ninja.errors import ValidationError

from pools.capture.api import attributes_clean
from pools.capture.webhooks.intake import lead_in_check
from pools.capture.webhooks.mapping import mapping_apply, mapping_problems
from pools.field_labels import LEAD_FIELD_LABELS

_LABELS = {**LEAD_FIELD_LABELS, "external_id": "External id"}


@dataclass
class MappingPreview:
    fields: list[tuple[str, str]] = field(default_factory=list)  # (label, clean value)
    attributes: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # "where: what", as the sender would get
    missing: list[str] = field(default_factory=list)  # mapped paths the sample lacks

    @property
    def attributes_json(self) -> str:
        return json.dumps(self.attributes, indent=2, ensure_ascii=False, default=str)

    @property
    def summary(self) -> str:
        """ "name Ana Souza, e-mail ana@example.com, …" — the line the admin page leads with."""
        values = dict(self.fields)
        name = " ".join(v for k in ("First name", "Last name") if (v := values.pop(k, "")))
        parts = ([f"name {name}"] if name else []) + [f"{k.lower()} {v}" for k, v in values.items()]
        return ", ".join(parts)


def mapping_preview(*, mapping: dict, sample: str) -> MappingPreview:
    preview = MappingPreview()
    if problems := mapping_problems(mapping):
        preview.errors = [f"mapping: {p}" for p in problems]
        return preview
    try:
        document = json.loads(sample)
    except (ValueError, RecursionError) as exc:
        preview.errors = [f"sample: not valid JSON ({exc})."]
        return preview
    if not isinstance(document, dict):
        preview.errors = ["sample: the body must be a JSON object."]
        return preview
    values, attributes, preview.missing = mapping_apply(mapping, document)
    where = {target: path.split(".") for path, target in mapping.items()}
    try:
        lead = lead_in_check(values, where=where)
        preview.attributes = attributes_clean(attributes, loc=("body",))
    except ValidationError as exc:
        preview.errors = [
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors
        ]
        return preview
    preview.fields = [
        (_LABELS.get(name, name), str(value))
        for name, value in lead.lead_fields().items()
        if value not in ("", None)
    ]
    return preview
