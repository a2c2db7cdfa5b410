from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from pools.capture.apikeys import apikeys_changed
from pools.models import ApiKey, Lead, LeadSource

# Sent once the transaction that left leads waiting for intake (captured, imported, or
# sent back by a manager) has committed, with `lead_ids`. Routing connects to it when it
# starts: pools sits below routing and may not name routing's tasks.
leads_waiting = Signal()


def leads_waiting_on_commit(*, lead_ids: list[int]) -> None:
    ids = list(lead_ids)
    transaction.on_commit(lambda: leads_waiting.send(sender=Lead, lead_ids=ids))


@receiver([post_save, post_delete], sender=ApiKey)
@receiver([post_save, post_delete], sender=LeadSource)
def apikey_cache_invalidate(sender, **kwargs):
    # Authentication caches keys with their source (pools.capture.apikeys): a key revoked or
    # deleted, or a source switched off or edited, must not be served from a cache.
    apikeys_changed()
