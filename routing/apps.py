from django.apps import AppConfig


class RoutingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "routing"

    def ready(self):
        from pools.signals import leads_waiting

        from . import signals  # noqa: F401
        from .intake.kick import leads_waiting_kick

        # Pools announce waiting leads; routing kicks a drain (pools may not name it).
        leads_waiting.connect(leads_waiting_kick, dispatch_uid="routing.intake.kick")
