from django.db.models.signals import post_save
from django.dispatch import receiver

from .escalation.rearm import pool_leads_rearm, untouched_leads_rearm
from .models import PoolAgingPolicy, RoutingRule, RuleRotation, SlaPolicy


@receiver(post_save, sender=RoutingRule)
def rule_rotation_ensure(sender, instance, created, **kwargs):
    # The engine locks this row for every lead; creating it with the rule keeps the hot
    # path at one query.
    if created:
        RuleRotation.objects.get_or_create(rule=instance)


@receiver(post_save, sender=PoolAgingPolicy)
def pool_aging_applies_now(sender, instance, raw=False, **kwargs):
    if instance.is_active and not raw:  # raw: loaddata, whose leads come as they were
        pool_leads_rearm(pool_id=instance.pool_id)


@receiver(post_save, sender=SlaPolicy)
def sla_applies_now(sender, instance, raw=False, **kwargs):
    # The admin saves the policy with every edit of its steps (a step added, moved or
    # removed), so the steps' changes are covered too; a step saved alone is not.
    if instance.is_active and not raw:
        untouched_leads_rearm(team_id=instance.team_id)
