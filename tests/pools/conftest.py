"""Fixtures for the capture tests: a source with a team and default pool, its API key,
and Celery run eagerly (the real intake task, in-process)."""

import pytest
from django.test import Client

from leadroute.celery import app as celery_app
from pools.capture.apikeys import apikey_create
from tests.factories import LeadSourceFactory, PoolFactory


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def source(team):
    PoolFactory(team=team, is_team_default=True, name="Inbound default", slug="inbound-default")
    return LeadSourceFactory(name="Website", slug="website", team=team)


@pytest.fixture
def api_key(source):
    return apikey_create(source=source, name="tests")[1]


@pytest.fixture
def api(api_key):
    """A client that sends the key; `api.post_json(path, data, **headers)`."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_key}")

    def post_json(path, data, **headers):
        import json

        body = data if isinstance(data, str) else json.dumps(data)
        return client.post(path, body, content_type="application/json", **headers)

    client.post_json = post_json
    return client
