from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import RoutingRule, RuleRotation


@receiver(post_save, sender=RoutingRule)
def rule_rotation_ensure(sender, instance, created, **kwargs):
    # The engine locks this row for every lead; creating it with the rule keeps the hot
    # path at one query.
    if created:
        RuleRotation.objects.get_or_create(rule=instance)
