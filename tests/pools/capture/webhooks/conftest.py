"""A source with a Google Ads hook and a mapped JSON hook, and their clear secrets."""

import json

import pytest
from django.test import Client

from pools.capture.webhooks.secrets import hook_create
from pools.models import InboundHook

MAPPING = {
    "contact.name": "full_name",
    "contact.emails.0.value": "email",
    "contact.phones.0.number": "phone",
    "contact.address.country": "country",
    "company.name": "company",
    "submission.id": "external_id",
    "answers.budget": "estimated_value",
    "answers.seats": "attributes.seats",
    "meta.utm.campaign": "campaign",
}


@pytest.fixture
def google_hook(source):
    return hook_create(source=source, kind=InboundHook.Kind.GOOGLE_ADS)


@pytest.fixture
def json_hook(source):
    return hook_create(source=source, kind=InboundHook.Kind.MAPPED_JSON, mapping=MAPPING)


@pytest.fixture
def post():
    client = Client()

    def post(path, body, **headers):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return client.post(path, data, content_type="application/json", **headers)

    return post
