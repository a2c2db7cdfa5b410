"""Draft rule sets: a copy of the live rules to change and replay before anyone is routed
by it (routing.rules.models.RuleSet)."""

from __future__ import annotations

from django.db import transaction

from ..models import RoutingRule, RuleRotation, RuleSet
from ..rules.models import live_rule_set_id

# A rule's identity and bookkeeping: neither copied nor compared between sets (promote).
RULE_BOOKKEEPING = frozenset({"id", "rule_set", "copied_from", "created_at", "updated_at"})
# Columns a copy takes as they are; the set, the fallback link and the origin are remapped.
_NOT_COPIED = RULE_BOOKKEEPING | {"fallback_rule"}


def rule_set_copy(*, source: RuleSet, name: str, user=None, description: str = "") -> RuleSet:
    """A new draft holding a copy of every rule of `source` (active or not): the same
    fields, the same listed reps, and each "another rule" fallback pointing at the copy
    of its target, so the draft routes alone, never into the source's rules."""
    with transaction.atomic():
        draft = RuleSet.objects.create(
            name=name,
            state=RuleSet.State.DRAFT,
            description=description,
            copied_from=source,
            created_by=user,
        )
        originals = list(source.rules.order_by("pk").prefetch_related("reps"))
        fields = [
            f.attname
            for f in RoutingRule._meta.concrete_fields
            if f.name not in _NOT_COPIED and f.attname not in _NOT_COPIED
        ]
        copies = RoutingRule.objects.bulk_create(
            [
                RoutingRule(
                    rule_set=draft,
                    copied_from_id=rule.pk,
                    **{f: getattr(rule, f) for f in fields},
                )
                for rule in originals
            ]
        )
        copy_of = {rule.pk: copy for rule, copy in zip(originals, copies, strict=True)}
        relinked = []
        for rule in originals:
            if rule.fallback_rule_id in copy_of:
                copy = copy_of[rule.pk]
                copy.fallback_rule_id = copy_of[rule.fallback_rule_id].pk
                relinked.append(copy)
        RoutingRule.objects.bulk_update(relinked, ["fallback_rule"])
        through = RoutingRule.reps.through
        through.objects.bulk_create(
            [
                through(routingrule_id=copy_of[rule.pk].pk, user_id=rep.pk)
                for rule in originals
                for rep in rule.reps.all()
            ]
        )
        # bulk_create skips the post_save signal that gives each rule its rotation row.
        RuleRotation.objects.bulk_create([RuleRotation(rule=copy) for copy in copies])
    return draft


def rule_set_copy_live(*, name: str, user=None, description: str = "") -> RuleSet:
    """A new draft copied from the live rules."""
    live = RuleSet.objects.get(pk=live_rule_set_id())
    return rule_set_copy(source=live, name=name, user=user, description=description)
