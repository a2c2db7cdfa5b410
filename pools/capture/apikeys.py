"""API keys: created once (the clear key is shown a single time), stored hashed, revocable.

Authenticating is on every intake request, so a valid key's row (with its source) is kept
in process memory for at most CACHE_SECONDS. Revocation still applies to the very next
request: any change to keys or sources (revoke, delete, a source switched off or edited)
replaces a stamp in Redis, every request reads the stamp (one GET), and a cached key is
used only while the stamp it was loaded under is still current. If Redis cannot be read,
the cache is not used at all. CACHE_SECONDS bounds what the stamp cannot see: a change
made behind Django's back (raw SQL), or a stamp write lost while Redis was down.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

import redis
from django.db import transaction
from django.utils import timezone

from leadroute.shared.redis_client import redis_client, redis_key
from pools.models import ApiKey, LeadSource

log = logging.getLogger(__name__)
KEY_PREFIX = "lr_"
CACHE_SECONDS = 10
_MAX_CACHED = 1000
# Stands for "no stamp in Redis yet" (a new or flushed Redis), so it can be cached under.
_NO_STAMP = b"-"


@dataclass(frozen=True)
class _Cached:
    api_key: ApiKey
    stamp: bytes
    expires: float


_cache: dict[str, _Cached] = {}


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def apikey_create(*, source: LeadSource, name: str = "", created_by=None) -> tuple[ApiKey, str]:
    """Return the stored key and the clear key; the clear key is not kept anywhere."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        source=source, name=name, prefix=raw[:11], key_hash=_hash(raw), created_by=created_by
    )
    return api_key, raw


def apikey_authenticate(*, raw: str) -> ApiKey | None:
    """The active key matching `raw` (its source active too), or None."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    key_hash = _hash(raw)
    # The stamp is read before the row: a change committed after this read replaces the
    # stamp after its commit, so whatever is cached under this stamp is dropped next time.
    stamp = _stamp()
    hit = _cache.get(key_hash)
    if (
        hit is not None
        and stamp is not None
        and hit.stamp == stamp
        and hit.expires > time.monotonic()
    ):
        return hit.api_key
    api_key = (
        ApiKey.objects.select_related("source")
        .filter(key_hash=key_hash, revoked_at__isnull=True, source__is_active=True)
        .first()
    )
    if api_key is None:
        _cache.pop(key_hash, None)
    elif stamp is not None:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[key_hash] = _Cached(api_key, stamp, time.monotonic() + CACHE_SECONDS)
    return api_key


def apikey_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    apikeys_changed()


def apikeys_changed() -> None:
    """Make every process re-read keys from the database. Called on any change to a key or
    a source (pools.signals). The stamp is replaced now and again after commit: a request
    that read the row before the commit and cached it under the first new stamp is caught
    by the second."""
    _stamp_replace()
    transaction.on_commit(_stamp_replace)


def _stamp_key() -> str:
    return redis_key("apikeys", "stamp")


def _stamp() -> bytes | None:
    try:
        return redis_client().get(_stamp_key()) or _NO_STAMP
    except redis.RedisError:
        log.warning("Redis unavailable; API keys are read from the database")
        return None


def _stamp_replace() -> None:
    # A random value, not a counter: a counter restarting in a flushed Redis could come
    # back to a value some process still has entries cached under.
    try:
        redis_client().set(_stamp_key(), secrets.token_hex(8))
    except redis.RedisError:
        log.exception(
            "Could not publish an API key change; caches expire within %s s", CACHE_SECONDS
        )
