"""Receivers that keep capture's caches honest."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from pools.capture.apikeys import apikeys_changed
from pools.models import ApiKey, LeadSource


@receiver([post_save, post_delete], sender=ApiKey)
@receiver([post_save, post_delete], sender=LeadSource)
def apikey_cache_invalidate(sender, **kwargs):
    # Authentication caches keys with their source (pools.capture.apikeys): a key revoked or
    # deleted, or a source switched off or edited, must not be served from a cache.
    apikeys_changed()
