"""Intake is fed by captures: the same source, API key and client as the capture tests."""

from tests.pools.conftest import api, api_key, eager_celery, source  # noqa: F401
