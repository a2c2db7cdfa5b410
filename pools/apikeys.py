"""API keys: created once (the clear key is shown a single time), stored hashed, revocable."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from .models import ApiKey, LeadSource

KEY_PREFIX = "lr_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def apikey_create(*, source: LeadSource, name: str = "", created_by=None) -> tuple[ApiKey, str]:
    """Return the stored key and the clear key; the clear key is not kept anywhere."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(source=source, name=name, prefix=raw[:11],
                                    key_hash=_hash(raw), created_by=created_by)
    return api_key, raw


def apikey_authenticate(*, raw: str) -> ApiKey | None:
    """The active key matching `raw` (its source active too), or None."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    return (ApiKey.objects.select_related("source")
            .filter(key_hash=_hash(raw), revoked_at__isnull=True, source__is_active=True)
            .first())


def apikey_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
