"""Which of a rule's fields apply, given what it does: the rule form shows those (the
browser hides the rest, static/js/rule_form.js), requires the ones a choice needs, and
clears the others on save, so a pool rule keeps no stale rep list nor method options.

The mapping is data: a choice (action, method, target, fallback) brings, per value, the
fields that value uses. A field a choice brings is in use only while that choice is; a new
action (live offers, with settings of their own) is one more entry under "action".
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..models import RoutingRule

A, M, T, F = RoutingRule.Action, RoutingRule.Method, RoutingRule.Target, RoutingRule.Fallback
OM = RoutingRule.OfferMethod


@dataclass(frozen=True)
class Brings:
    fields: tuple[str, ...] = ()
    required: Mapping[str, str] = field(default_factory=dict)  # field -> message if empty


ALWAYS = (
    "rule_set",
    "name",
    "priority",
    "is_active",
    "description",
    "conditions",
    "action",
    "team",
)
ELIGIBILITY = (
    "require_territory",
    "require_language",
    "require_industry",
    "require_company_size",
    "require_product",
    "min_seniority",
)
CHOOSES_AMONG = Brings(("target",))  # the methods that pick among the target's reps
CHOICES: dict[str, dict[str, Brings]] = {
    "action": {
        A.ASSIGN: Brings(("method", *ELIGIBILITY, "fallback")),
        # A pool that is gone or switched off sends the lead to the fallback.
        A.POOL: Brings(
            ("pool", "fallback"), {"pool": "Choose the pool this rule places leads in."}
        ),
        A.SKIM: Brings(),
        A.OFFER: Brings(
            ("offer_method", "offer_seconds", "offer_blind", "target", *ELIGIBILITY, "fallback")
        ),
    },
    "method": {
        M.ROUND_ROBIN: Brings(("target", "keep_turn")),
        M.WEIGHTED: CHOOSES_AMONG,
        M.LOAD_BALANCED: CHOOSES_AMONG,
        M.TOP_PERFORMER: Brings(
            ("target", "performance_window_days", "performance_min_sample", "value_tiers")
        ),
        M.TERRITORY: CHOOSES_AMONG,
        M.SKILLS: CHOOSES_AMONG,
        M.QUOTA_FILL: CHOOSES_AMONG,
        M.DIRECT: Brings(
            ("direct_rep",), {"direct_rep": "Choose the rep for “Direct to a named rep”."}
        ),
    },
    # Live offers rank by top performer's smoothed figures (cascade, waves) or by speed.
    "offer_method": {
        OM.SHOTGUN: Brings(),
        OM.SHARK_TANK: Brings(("offer_shark_size", "performance_min_sample")),
        OM.SEQUENTIAL: Brings(("offer_passes",)),
        OM.CASCADE: Brings(("performance_window_days", "performance_min_sample")),
        OM.WAVES: Brings(("offer_waves", "performance_window_days", "performance_min_sample")),
    },
    "target": {
        T.TEAM: Brings(required={"team": "Choose the team whose reps get these leads."}),
        T.REPS: Brings(("reps",), {"reps": "Choose at least one rep."}),
        T.TERRITORY: Brings(),
    },
    "fallback": {
        F.SKIM: Brings(),
        F.POOL: Brings(
            ("fallback_pool",), {"fallback_pool": "Choose the pool to use when nobody is eligible."}
        ),
        F.RULE: Brings(
            ("fallback_rule",), {"fallback_rule": "Choose the rule to try when nobody is eligible."}
        ),
    },
}
METHODS_EXPLAINED = {
    M.ROUND_ROBIN: "each eligible rep in turn; with “keep turn”, one who was away is served "
    "first once back.",
    M.WEIGHTED: "in turn, but each rep gets leads in proportion to their weight (profile).",
    M.LOAD_BALANCED: "the rep with the fewest open leads; ties to whoever waited longest.",
    M.TOP_PERFORMER: "the best conversion rate over a window, optionally in value tiers.",
    M.TERRITORY: "a rep covering the lead's most specific territory (a state beats a country).",
    M.SKILLS: "the rep covering most of the lead's language, industry, size, product, territory.",
    M.DIRECT: "always the one rep named below, if eligible.",
    M.QUOTA_FILL: "the rep furthest behind their lead quota this week or month (team → "
    "Quotas); a rep without one counts as on target.",
}


def rule_fields_used(choices: Mapping[str, str]) -> tuple[set[str], dict[str, str]]:
    """The fields a rule with these choices uses, and those it needs filled in (field ->
    the message when empty)."""
    used, required, expanded = set(ALWAYS), {}, set()
    while True:
        ready = [c for c in CHOICES if c in used and c not in expanded]
        if not ready:
            return used, required
        for choice in ready:
            expanded.add(choice)
            brings = CHOICES[choice].get(choices.get(choice), Brings())
            used.update(brings.fields)
            required.update(brings.required)


def rule_form_layouts() -> dict:
    """Every combination of choices and the fields it shows, for the browser to look up
    (so the mapping is read in one place, here): {"choices": [...], "layouts": [[field,
    …], …], "by_choice": {"assign|round_robin|team|skim": layout index, …}}."""
    names = list(CHOICES)
    layouts: list[list[str]] = []
    by_choice = {}
    for values in itertools.product(*(CHOICES[name] for name in names)):
        used, _ = rule_fields_used(dict(zip(names, values, strict=True)))
        layout = sorted(used)
        if layout not in layouts:
            layouts.append(layout)
        by_choice["|".join(values)] = layouts.index(layout)
    return {"choices": names, "layouts": layouts, "by_choice": by_choice}
