from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from . import signals  # noqa: F401  (tells open websockets when a user changes)

        post_migrate.connect(_role_groups, weak=False, dispatch_uid="accounts.role_groups")


def _role_groups(app_config, **kwargs) -> None:
    # post_migrate comes once per app with models, in INSTALLED_APPS order, each after auth
    # made that app's permissions: the groups are granted theirs once, after the last app
    # (every test database flush sends them all again).
    if app_config is [config for config in apps.get_app_configs() if config.models_module][-1]:
        from .services import role_groups_ensure

        role_groups_ensure()
