import pytest

from tests.pools.conftest import eager_celery  # noqa: F401


@pytest.fixture(autouse=True)
def _email_locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
