"""API key authentication is cached in process memory, yet a revoked key, a deleted key or
a switched-off source is refused on the very next request (pools/capture/apikeys.py)."""

import socket

import pytest
import redis
from django.utils import timezone

from leadroute.shared import redis_client as redis_client_module
from pools.capture import apikeys
from pools.capture.apikeys import apikey_authenticate, apikey_create, apikey_revoke
from pools.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(source):
    stored, raw = apikey_create(source=source)
    assert apikey_authenticate(raw=raw) == stored  # now cached
    return stored, raw


def test_a_cached_key_is_served_without_a_query(key, django_assert_num_queries):
    stored, raw = key
    with django_assert_num_queries(0):
        assert apikey_authenticate(raw=raw) == stored


def test_a_cached_key_is_refused_right_after_it_is_revoked(key):
    stored, raw = key
    apikey_revoke(api_key=stored)
    assert apikey_authenticate(raw=raw) is None


def test_a_cached_key_is_refused_once_deleted_or_its_source_switched_off(source, key):
    stored, raw = key
    source.is_active = False
    source.save()
    assert apikey_authenticate(raw=raw) is None
    source.is_active = True
    source.save()
    assert apikey_authenticate(raw=raw) == stored
    stored.delete()
    assert apikey_authenticate(raw=raw) is None


def test_the_stamp_is_replaced_again_when_the_revocation_commits(
    key, django_capture_on_commit_callbacks
):
    # A request that read the row before the commit and cached it under the first new
    # stamp must be caught by the second.
    before = apikeys._stamp()
    with django_capture_on_commit_callbacks(execute=True):
        apikey_revoke(api_key=key[0])
        during = apikeys._stamp()
    assert len({before, during, apikeys._stamp()}) == 3


def test_a_change_behind_djangos_back_applies_within_cache_seconds(key, monkeypatch):
    stored, raw = key
    ApiKey.objects.filter(pk=stored.pk).update(revoked_at=timezone.now())  # no signal
    assert apikey_authenticate(raw=raw) == stored  # the documented window
    later = apikeys.time.monotonic() + apikeys.CACHE_SECONDS + 1
    monkeypatch.setattr(apikeys.time, "monotonic", lambda: later)
    assert apikey_authenticate(raw=raw) is None


def test_without_redis_every_request_reads_the_database(
    key, monkeypatch, django_assert_num_queries
):
    stored, raw = key
    with socket.socket() as s:  # a port nobody listens on: a real, unreachable Redis
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(
        redis_client_module,
        "_client",
        redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1),
    )
    with django_assert_num_queries(1):
        assert apikey_authenticate(raw=raw) == stored
    ApiKey.objects.filter(pk=stored.pk).update(revoked_at=timezone.now())
    assert apikey_authenticate(raw=raw) is None
