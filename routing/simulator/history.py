"""A rule set's history: the switches that made it live or retired it (RuleSetPromotion,
each with its diff), and the admin's change log of the set and of its rules — who changed
what and when, marked by whether the set was a draft then."""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from ..models import RoutingRule, RuleSet, RuleSetPromotion

LOG_LIMIT = 200


def rule_set_history(*, rule_set: RuleSet) -> dict:
    """Promotions (newest first) and log entries (newest first, at most LOG_LIMIT); a fixed
    number of queries however many rules or entries."""
    promotions = list(
        RuleSetPromotion.objects.filter(Q(rule_set=rule_set) | Q(replaced=rule_set))
        .select_related("rule_set", "replaced", "promoted_by")
        .order_by("-promoted_at", "-id")
    )
    became_live = min(
        (p.promoted_at for p in promotions if p.rule_set_id == rule_set.pk), default=None
    )
    types = ContentType.objects.get_for_models(RoutingRule, RuleSet)
    rule_ids = [str(pk) for pk in rule_set.rules.values_list("pk", flat=True)]
    entries = list(
        LogEntry.objects.filter(
            Q(content_type=types[RoutingRule], object_id__in=rule_ids)
            | Q(content_type=types[RuleSet], object_id=str(rule_set.pk))
        )
        .select_related("user")
        .order_by("-action_time", "-id")[:LOG_LIMIT]
    )
    was_draft = rule_set.copied_from_id is not None  # sets made by copying start as drafts
    for entry in entries:
        entry.while_draft = was_draft and (became_live is None or entry.action_time < became_live)
        entry.is_rule = entry.content_type_id == types[RoutingRule].pk
    return {"promotions": promotions, "entries": entries, "limit": LOG_LIMIT}
