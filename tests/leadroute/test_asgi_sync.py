"""The /api/ fast path: Django's sync handler on a fixed thread pool under ASGI
(leadroute/asgi_sync.py), driven through the real ASGI application."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.http import HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from leadroute.asgi import application
from leadroute.asgi_sync import SyncThreadPoolHandler
from pools.capture.apikeys import apikey_create
from pools.models import Lead
from tests.factories import LeadSourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _request(app, method, url, body=b"", headers=()):
    headers = [(b"host", b"127.0.0.1"), *headers]
    return HttpCommunicator(app, method, url, body=body, headers=headers).get_response()


def _header(response, name: bytes) -> bytes | None:
    return dict((k.lower(), v) for k, v in response["headers"]).get(name)


async def test_api_post_is_served_committed_and_timed():
    raw = await database_sync_to_async(lambda: apikey_create(source=LeadSourceFactory())[1])()
    response = await _request(
        application,
        "POST",
        "/api/leads",
        body=json.dumps({"email": "asgi@example.com", "first_name": "Ana"}).encode(),
        headers=[
            (b"authorization", f"Bearer {raw}".encode()),
            (b"content-type", b"application/json"),
        ],
    )
    assert response["status"] == 201, response["body"]
    assert _header(response, b"server-timing").startswith(b"app;dur=")
    lead_id = json.loads(response["body"])["id"]
    # Committed, and visible from another connection (the request ran on a pool thread).
    assert await database_sync_to_async(
        Lead.objects.filter(pk=lead_id, email="asgi@example.com").exists
    )()


async def test_api_bad_key_is_json_401_and_pages_still_use_the_asgi_handler():
    response = await _request(
        application,
        "POST",
        "/api/leads",
        body=b"{}",
        headers=[(b"authorization", b"Bearer lr_nope"), (b"content-type", b"application/json")],
    )
    assert response["status"] == 401
    assert json.loads(response["body"]) == {"detail": "Unauthorized"}
    page = await _request(application, "GET", "/accounts/login/")
    assert page["status"] == 200 and b"<form" in page["body"]


def _stream(request):
    response = StreamingHttpResponse(iter([b"part one, ", b"part two"]), status=202)
    response["X-Kept"] = "yes"
    response.set_cookie("kept", "1")
    return response


def _boom(request):
    raise RuntimeError("view failed")


urlpatterns = [
    path("stream", _stream),
    path("boom", _boom),
    path("plain", lambda request: HttpResponse(b"plain")),
]


@override_settings(ROOT_URLCONF=__name__)
async def test_streaming_response_is_buffered_with_its_headers_and_cookies():
    response = await _request(SyncThreadPoolHandler(threads=1), "GET", "/stream")
    assert response["status"] == 202
    assert response["body"] == b"part one, part two"
    assert _header(response, b"x-kept") == b"yes"
    assert b"kept=1" in _header(response, b"set-cookie")


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
async def test_a_failing_view_is_a_500_and_the_handler_keeps_serving():
    handler = SyncThreadPoolHandler(threads=1)
    assert (await _request(handler, "GET", "/boom"))["status"] == 500
    assert (await _request(handler, "GET", "/plain"))["body"] == b"plain"


async def test_only_http_scopes_are_served():
    with pytest.raises(ValueError):
        await SyncThreadPoolHandler(threads=1)({"type": "websocket"}, None, None)


async def test_the_pool_thread_hands_its_db_connection_back():
    import asyncio

    from django.db import connection

    handler = SyncThreadPoolHandler(threads=1)
    response = await _request(
        handler,
        "POST",
        "/api/leads",
        body=b"{}",
        headers=[
            (b"authorization", b"Bearer lr_unknown-key"),
            (b"content-type", b"application/json"),
        ],
    )
    assert response["status"] == 401  # after a database lookup of the key
    open_after = await asyncio.get_running_loop().run_in_executor(
        handler._executor, lambda: connection.connection is not None
    )
    assert not open_after
