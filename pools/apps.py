from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_claim_functions(sender, using, **kwargs):
    from django.db import connections

    from pools.pull.claim_functions import install

    install(connections[using])


class PoolsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pools"

    def ready(self):
        from pools.capture import signals  # noqa: F401  (connects the API-key receivers)

        # After every migrate, so the claim functions follow the tables they read.
        post_migrate.connect(
            _install_claim_functions, sender=self, dispatch_uid="pools.claim_functions"
        )
