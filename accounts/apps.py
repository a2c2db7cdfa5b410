from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from . import signals  # noqa: F401  (tells open websockets when a user changes)
        from .services import role_groups_ensure

        # After every migrate, so permissions created by later apps are granted too.
        post_migrate.connect(
            lambda **kwargs: role_groups_ensure(), weak=False, dispatch_uid="accounts.role_groups"
        )
