"""What a report table's rows can be: a rep, a routing method, a rule, a source, a country,
a lead score band. Each is a GROUP BY expression on the lead plus how a row is named, so
every report groups the same way and names rows alike.

`grouped` runs one query per table: the lead scope of the filters, grouped, with the
report's aggregates. Rules are named from a second query over the handful of rule ids the
rows hold (the lead keeps the rule as a plain id: pools knows nothing of routing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Coalesce, Concat, NullIf

from pools.models import Lead
from routing.models import RoutingRule

from .filters import ReportFilters

V = Lead.Via


@dataclass(frozen=True)
class Dimension:
    key: str  # the table's key: by_<key>
    title: str
    label: str  # the first column's header
    group: Callable[[], object]  # the GROUP BY expression
    name: Callable[[object], str]  # a row's label from its group value
    caption: str = ""
    order_by_label: tuple[str, ...] = ()  # fixed row order (score bands), else by count


def _short(label: str) -> str:
    """“Weighted round robin (rep weights)” → “Weighted round robin”; “Shotgun: …” → “Shotgun”."""
    return label.split(" (")[0].split(":")[0]


_ASSIGN = {k: _short(v) for k, v in RoutingRule.Method.choices}
_OFFER = {k: _short(v) for k, v in RoutingRule.OfferMethod.choices}
NOT_ASSIGNED = "Not assigned (pool, offer, queue or rejected)"


def _method_group():
    # Push and live offers name their method; a claim and a manager's hand are one each.
    return Case(
        When(
            assigned_via__in=[V.PUSH, V.OFFER],
            then=Concat("assigned_via", Value(":"), "routed_method", output_field=CharField()),
        ),
        default=F("assigned_via"),
        output_field=CharField(),
    )


def method_name(value: str) -> str:
    via, _, method = (value or "").partition(":")
    if via == V.PUSH:
        return f"Push · {_ASSIGN.get(method, method or 'method not recorded')}"
    if via == V.OFFER:
        return f"Live offer · {_OFFER.get(method, method or 'method not recorded')}"
    if via == V.POOL:
        return "Pool claim"
    if via == V.DESK:
        return "Manager desk"
    return NOT_ASSIGNED


# Score bands (lower bound inclusive), highest first as the tables list them.
SCORE_BANDS = ((75, "75 and over"), (50, "50–74"), (25, "25–49"), (None, "Under 25"))


def _score_band():
    return Case(
        *(When(score__gte=low, then=Value(label)) for low, label in SCORE_BANDS if low is not None),
        default=Value(SCORE_BANDS[-1][1]),
        output_field=CharField(),
    )


def _rep_group():
    # The owner's name rides in the group value ("id|name"), so naming needs no query.
    return Case(
        When(owner__isnull=True, then=Value("")),
        default=Concat(
            "owner_id",
            Value("|"),
            Coalesce(
                NullIf(Concat("owner__first_name", Value(" "), "owner__last_name"), Value(" ")),
                "owner__username",
            ),
            output_field=CharField(),
        ),
        output_field=CharField(),
    )


def _rep_name(value: str) -> str:
    return value.partition("|")[2].strip() if value else "No owner"


REP = Dimension("rep", "By rep", "Rep", _rep_group, _rep_name, caption="The lead's current owner.")
METHOD = Dimension(
    "method",
    "By routing method",
    "Method",
    _method_group,
    method_name,
    caption="How the current owner got the lead: pushed by a rule's method, accepted from a "
    "live offer, claimed from a pool, or given by a manager.",
)
RULE = Dimension(
    "rule",
    "By rule",
    "Rule",
    lambda: F("routed_rule"),
    str,  # replaced by the rule's name in `grouped`
    caption="The rule of the lead's latest routing decision (a manager's move has none).",
)
SOURCE = Dimension(
    "source",
    "By source",
    "Source",
    lambda: Coalesce("source__name", Value("")),
    lambda v: v or "No source",
)
COUNTRY = Dimension(
    "country",
    "By country",
    "Country",
    lambda: F("country"),
    lambda v: v or "Unknown",
    caption="The lead's country (ISO code).",
)
SCORE = Dimension(
    "score",
    "By lead score",
    "Score band",
    _score_band,
    lambda v: v,
    caption="The score screening gave the lead on arrival.",
    order_by_label=tuple(label for _, label in SCORE_BANDS),
)


def grouped(filters: ReportFilters, dim: Dimension, aggregates: dict, *, order: str) -> list:
    """Rows of `aggregates` per value of `dim` over the filters' leads, each with its
    "label"; largest `order` first (or the dimension's fixed order)."""
    rows = list(
        filters.leads()
        .annotate(group=dim.group())
        .values("group")
        .annotate(**aggregates)
        .order_by(f"-{order}", "group")
    )
    if dim is RULE:
        names = dict(
            RoutingRule.objects.filter(pk__in=[r["group"] for r in rows if r["group"]]).values_list(
                "pk", "name"
            )
        )
        for row in rows:
            row["label"] = (
                "No rule" if row["group"] is None else names.get(row["group"], "Deleted rule")
            )
    else:
        for row in rows:
            row["label"] = dim.name(row["group"])
    if dim.order_by_label:
        place = {label: i for i, label in enumerate(dim.order_by_label)}
        rows.sort(key=lambda r: place[r["label"]])
    return rows
