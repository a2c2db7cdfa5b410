"""Switching the live rules: promote a draft, or roll back to a former version — one
implementation (`_switch`), the set that was live becoming a version either way.

The switch is one transaction under the lock of both sets' rows, the live one included:
the engine takes the live set's row FOR SHARE before it reads the rules
(routing.engine.facts.lead_context), so the switch waits for the batches routing by the
old rules to commit, and the batches after it read the new rules whole. What must survive
the switch goes with it: each rule's rotation state, and the policies that name a live
rule (an SLA policy narrowed to it, a pool aging policy routing by it), re-pointed to the
same rule in the new set; a policy naming a rule the new set lacks refuses the switch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.text import capfirst

from ..engine.book import is_stateful, rule_method
from ..models import (
    PoolAgingPolicy,
    RoutingRule,
    RuleRotation,
    RuleSet,
    RuleSetPromotion,
    SlaPolicy,
)
from ..rules.conditions import conditions_describe
from ..rules.lineage import rules_pair
from .drafts import RULE_BOOKKEEPING

# A routing batch holds the live set's row for milliseconds; waiting longer means trouble.
LOCK_TIMEOUT = "5s"
# Policies that name a live rule by foreign key: re-pointed on a switch.
POLICIES = (SlaPolicy, PoolAgingPolicy)


class PromoteError(Exception):
    """The switch was refused; the message says why (shown to the admin as is)."""


def _rules(rule_set: RuleSet) -> list[RoutingRule]:
    return list(
        rule_set.rules.select_related(
            "team", "pool", "direct_rep", "fallback_rule", "fallback_pool"
        )
        .prefetch_related("reps")
        .order_by("priority", "id")
    )


def _compared_fields():
    """Every field a person sets on a rule, its listed reps included (`fallback_rule`
    through the pairing: a copy's fallback names the copy of the original's target)."""
    return [
        f
        for f in RoutingRule._meta.get_fields()
        if f.concrete and f.name not in RULE_BOOKKEEPING and not f.auto_created
    ]


def _key(rule: RoutingRule, field, *, to_old: dict[int, int]):
    if field.name == "reps":
        return frozenset(u.pk for u in rule.reps.all())
    if field.name == "fallback_rule":
        return to_old.get(rule.fallback_rule_id, rule.fallback_rule_id)
    return getattr(rule, field.attname)


def _shown(rule: RoutingRule, field) -> str:
    if field.name == "reps":
        return ", ".join(sorted(str(u) for u in rule.reps.all())) or "—"
    value = getattr(rule, field.attname)
    if value in (None, "", [], {}):
        return "—"
    if field.name == "conditions":
        return conditions_describe(value)
    if field.is_relation:
        return str(getattr(rule, field.name))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def _diff(old_rules, new_rules, pairs: dict[int, int]) -> dict:
    old_by_id = {r.pk: r for r in old_rules}
    # A new rule's fallback is compared as its old pair's id.
    changed = []
    for rule in new_rules:
        before = old_by_id.get(pairs.get(rule.pk))
        if before is None:
            continue
        fields = [
            {
                "field": capfirst(f.verbose_name),
                "before": _shown(before, f),
                "after": _shown(rule, f),
            }
            for f in _compared_fields()
            if _key(before, f, to_old={}) != _key(rule, f, to_old=pairs)
        ]
        if fields:
            changed.append({"id": rule.pk, "rule": rule.name, "fields": fields})
    paired_old = set(pairs.values())
    return {
        "added": [{"id": r.pk, "rule": r.name} for r in new_rules if r.pk not in pairs],
        "removed": [{"id": r.pk, "rule": r.name} for r in old_rules if r.pk not in paired_old],
        "changed": changed,
    }


def _policy_moves(
    old_rules: list[RoutingRule], pairs: dict[int, int]
) -> tuple[list[tuple], list[str]]:
    """(model, policy, new rule id) for every policy naming a rule of the live set, and
    the refusals: policies whose rule the new set does not have."""
    to_new = {old_id: new_id for new_id, old_id in pairs.items()}
    moves, refusals = [], []
    for model in POLICIES:
        for policy in model.objects.filter(rule_id__in=[r.pk for r in old_rules]).select_related(
            "rule"
        ):
            if policy.rule_id in to_new:
                moves.append((model, policy, to_new[policy.rule_id]))
            else:
                refusals.append(
                    f"The {model._meta.verbose_name} “{policy}” names the rule “{policy.rule}”, "
                    f"which this set does not have: point the policy at another rule (or at "
                    f"none) first."
                )
    return moves, refusals


@dataclass
class _Plan:
    """A switch from the live set to another, as the confirm page shows it and the switch
    carries it out: rules paired by what they were copied from (routing.rules.lineage)."""

    old_rules: list[RoutingRule]
    new_rules: list[RoutingRule]
    pairs: dict[int, int]  # new rule id -> old rule id
    moves: list[tuple]  # (policy model, policy, new rule id)
    refusals: list[str]
    diff: dict  # rules added, removed, and changed field by field (listed reps included)

    @classmethod
    def of(cls, *, live: RuleSet, target: RuleSet) -> _Plan:
        old_rules, new_rules = _rules(live), _rules(target)
        pairs = rules_pair(old=old_rules, new=new_rules)
        moves, refusals = _policy_moves(old_rules, pairs)
        diff = _diff(old_rules, new_rules, pairs)
        return cls(old_rules, new_rules, pairs, moves, refusals, diff)

    @property
    def policies(self) -> list[str]:
        return [_policy_label(model, policy) for model, policy, _ in self.moves]


def rule_set_switch_preview(*, rule_set: RuleSet) -> dict:
    """What the confirm page shows: the diff against the live set and the refusals."""
    live = RuleSet.objects.live().get()
    plan = _Plan.of(live=live, target=rule_set)
    return {
        "live": live,
        "diff": plan.diff,
        "policies": plan.policies,
        "refusals": plan.refusals,
    }


def _policy_label(model, policy) -> str:
    return f"{capfirst(model._meta.verbose_name)} “{policy}”"


def _version_name(at) -> str:
    base = f"Live rules until {timezone.localtime(at):%Y-%m-%d %H:%M}"
    name, n = base, 1
    while RuleSet.objects.filter(name=name).exists():  # two switches in one minute
        n += 1
        name = f"{base} ({n})"
    return name


def _rotations_carry(old_rules, new_rules, pairs: dict[int, int]) -> list[str]:
    """Each new rule whose method keeps state takes its old pair's state, if the pair
    uses the same method: round robin goes on after the rep who got the last lead, not
    after whoever it was when the draft was copied (or the version retired). A changed
    method keeps its own state: the shapes differ (a pointer, weighted counters)."""
    old_by_id = {r.pk: r for r in old_rules}
    wanted = {
        rule.pk: old_by_id[pairs[rule.pk]]
        for rule in new_rules
        if rule.pk in pairs
        and is_stateful(rule)
        and rule_method(rule) == rule_method(old_by_id[pairs[rule.pk]])
    }
    if not wanted:
        return []
    states = dict(
        RuleRotation.objects.filter(rule_id__in=[o.pk for o in wanted.values()]).values_list(
            "rule_id", "state"
        )
    )
    rotations = {r.rule_id: r for r in RuleRotation.objects.filter(rule_id__in=list(wanted))}
    missing = [RuleRotation(rule_id=pk) for pk in wanted if pk not in rotations]
    for rotation in RuleRotation.objects.bulk_create(missing):
        rotations[rotation.rule_id] = rotation
    now = timezone.now()
    for pk, old in wanted.items():
        rotations[pk].state, rotations[pk].updated_at = states.get(old.pk) or {}, now
    RuleRotation.objects.bulk_update([rotations[pk] for pk in wanted], ["state", "updated_at"])
    return [f"{old.name}: {rule_method(old).replace('_', ' ')}" for old in wanted.values()]


def _switch(*, rule_set: RuleSet, user, was: RuleSet.State) -> RuleSetPromotion:
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
            live_id = RuleSet.objects.live().values_list("pk", flat=True).get()
            # Both rows in id order (the one lock order); then check nothing moved since.
            locked = {
                s.pk: s
                for s in RuleSet.objects.select_for_update()
                .filter(pk__in=[live_id, rule_set.pk])
                .order_by("pk")
            }
            live, target = locked.get(live_id), locked.get(rule_set.pk)
            if live is None or target is None or live.state != RuleSet.State.LIVE:
                raise PromoteError("The live rules changed meanwhile: look again, then retry.")
            if target.state != was:
                raise PromoteError(
                    f"“{target}” is {target.get_state_display().lower()} now, not "
                    f"{RuleSet.State(was).label.lower()}."
                )
            plan = _Plan.of(live=live, target=target)
            if plan.refusals:
                raise PromoteError(" ".join(plan.refusals))
            diff = plan.diff
            diff["rotations"] = _rotations_carry(plan.old_rules, plan.new_rules, plan.pairs)
            for model, policy, new_rule_id in plan.moves:
                model.objects.filter(pk=policy.pk).update(rule_id=new_rule_id)
            diff["policies"] = plan.policies
            now = timezone.now()
            diff["names"] = {"replaced": live.name, "promoted": target.name}
            # Rename the old set first: the names are unique, and the live one is "Live rules".
            live.state, live.name = RuleSet.State.VERSION, _version_name(now)
            live.save(update_fields=["state", "name", "updated_at"])
            target.state, target.name = RuleSet.State.LIVE, RuleSet.LIVE_NAME
            target.save(update_fields=["state", "name", "updated_at"])
            return RuleSetPromotion.objects.create(
                rule_set=target,
                replaced=live,
                was=was,
                promoted_by=user,
                promoted_at=now,
                diff=diff,
            )
    except OperationalError as exc:  # lock_timeout: routing held the live rules too long
        raise PromoteError("The live rules are busy; try again in a moment.") from exc


def rule_set_promote(*, rule_set: RuleSet, user) -> RuleSetPromotion:
    """Make a draft the live rules; the live set becomes a version to roll back to."""
    return _switch(rule_set=rule_set, user=user, was=RuleSet.State.DRAFT)


def rule_set_rollback(*, version: RuleSet, user) -> RuleSetPromotion:
    """Make a former version the live rules again, exactly as a draft is promoted."""
    return _switch(rule_set=version, user=user, was=RuleSet.State.VERSION)
