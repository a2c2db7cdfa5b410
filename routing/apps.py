from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_webhook_outbox(sender, using, **kwargs):
    from django.db import connections

    from .webhooks.outbox import install

    install(connections[using])


class RoutingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "routing"

    def ready(self):
        from pools.signals import (
            lead_events_written,
            lead_timeline_extras,
            leads_waiting,
            offered_leads_leaving,
        )

        from . import signals  # noqa: F401
        from .intake.kick import leads_waiting_kick
        from .offers.services import offered_leads_leaving_receiver
        from .offers.timeline import lead_timeline_offers
        from .webhooks.outbox import lead_events_outbox

        # Pools announce waiting leads; routing kicks a drain (pools may not name it).
        leads_waiting.connect(leads_waiting_kick, dispatch_uid="routing.intake.kick")
        # A lead leaving `offered` any way closes its open offer (the one choke point).
        offered_leads_leaving.connect(
            offered_leads_leaving_receiver, dispatch_uid="routing.offers.withdraw"
        )
        # The lead's timeline shows its offers, which pools may not read.
        lead_timeline_extras.connect(lead_timeline_offers, dispatch_uid="routing.offers.timeline")
        post_migrate.connect(
            _install_webhook_outbox, sender=self, dispatch_uid="routing.webhooks.install"
        )
        # Every lead event may be a webhook: its outbox rows join the writer's transaction.
        lead_events_written.connect(lead_events_outbox, dispatch_uid="routing.webhooks.outbox")
