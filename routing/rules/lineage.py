"""Which rules are one rule across sets: a draft's copy names its original (`copied_from`),
so a rule promoted twice is the newest of a chain back to the first. Promotion pairs the
rules of two sets by it (routing.simulator.promote), and an SLA policy narrowed to a rule
also covers the leads its other incarnations placed (routing.escalation.policies): the
rules it was copied from, and the copies made of it — a rollback re-points the policy from
the copy back to its original, and the leads the copy placed while live stay covered."""

from __future__ import annotations

from django.db import connection

from ..models import RoutingRule


def rule_ancestors(*, rule_ids: list[int]) -> dict[int, list[int]]:
    """Rule id -> the rules it was copied from, nearest first (one query, however deep)."""
    if not rule_ids:
        return {}
    table = RoutingRule._meta.db_table
    sql = (
        f"WITH RECURSIVE chain(start, parent, depth) AS ("
        f" SELECT id, copied_from_id, 1 FROM {table} WHERE id = ANY(%s)"
        f" UNION ALL SELECT c.start, r.copied_from_id, c.depth + 1 FROM chain c"
        f" JOIN {table} r ON r.id = c.parent)"
        f" SELECT start, parent FROM chain WHERE parent IS NOT NULL ORDER BY start, depth"
    )
    out: dict[int, list[int]] = {rule_id: [] for rule_id in rule_ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(rule_ids)])
        for start, parent in cursor.fetchall():
            out[start].append(parent)
    return out


def rules_pair(*, old: list[RoutingRule], new: list[RoutingRule]) -> dict[int, int]:
    """New rule id -> the old rule it is the same rule as: one copied (at any depth) from
    the other, in either direction (a promoted draft's copy names the live original; a
    version rolled back to is named by the live rule copied from it)."""
    ancestors = rule_ancestors(rule_ids=[r.pk for r in (*old, *new)])
    old_ids = {r.pk for r in old}
    new_ids = {r.pk for r in new}
    pairs: dict[int, int] = {}
    for rule in new:
        match = next((a for a in ancestors[rule.pk] if a in old_ids), None)
        if match is not None:
            pairs[rule.pk] = match
    taken = set(pairs.values())
    for rule in old:
        if rule.pk in taken:
            continue
        match = next((a for a in ancestors[rule.pk] if a in new_ids and a not in pairs), None)
        if match is not None:
            pairs[match] = rule.pk
    return pairs


def rule_families(*, rule_ids: list[int]) -> dict[int, set[int]]:
    """Rule id -> every rule copied from the same first original, itself included (one
    query, however many copies and sets)."""
    if not rule_ids:
        return {}
    table = RoutingRule._meta.db_table
    sql = (
        f"WITH RECURSIVE up(start, id, parent) AS ("
        f" SELECT id, id, copied_from_id FROM {table} WHERE id = ANY(%s)"
        f" UNION ALL SELECT u.start, r.id, r.copied_from_id FROM up u"
        f" JOIN {table} r ON r.id = u.parent),"
        f" down(start, id) AS ("
        f" SELECT start, id FROM up WHERE parent IS NULL"
        f" UNION ALL SELECT d.start, r.id FROM down d JOIN {table} r ON r.copied_from_id = d.id)"
        f" SELECT start, id FROM down"
    )
    out: dict[int, set[int]] = {rule_id: {rule_id} for rule_id in rule_ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(rule_ids)])
        for start, rule_id in cursor.fetchall():
            out[start].add(rule_id)
    return out
