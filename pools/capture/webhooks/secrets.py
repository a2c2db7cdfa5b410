"""A hook's secret: generated, shown once, stored as a hash, rotated in the admin, and
checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.utils import timezone

from pools.models import InboundHook, LeadSource

SECRET_PREFIX = "lrw_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hook_create(*, source: LeadSource, kind: str, mapping: dict | None = None):
    """A new hook and its clear secret (kept nowhere: the caller shows it once)."""
    raw = _new_secret()
    hook = InboundHook.objects.create(
        source=source,
        kind=kind,
        mapping=mapping or {},
        secret_prefix=raw[:10],
        secret_hash=_hash(raw),
    )
    return hook, raw


def hook_secret_rotate(*, hook: InboundHook) -> str:
    """Replace the secret; the old one stops working at once. Returns the new clear one."""
    raw = _new_secret()
    hook.secret_prefix, hook.secret_hash = raw[:10], _hash(raw)
    hook.secret_rotated_at = timezone.now()
    InboundHook.objects.filter(pk=hook.pk).update(
        secret_prefix=hook.secret_prefix,
        secret_hash=hook.secret_hash,
        secret_rotated_at=hook.secret_rotated_at,
    )
    return raw


def hook_secret_matches(*, hook: InboundHook, given: str) -> bool:
    """Constant time over the hashes: how much of a guess is right leaks nothing (and
    hashing first makes the comparison's length fixed whatever was sent)."""
    if not isinstance(given, str) or len(given) > 500:
        return False
    return hmac.compare_digest(_hash(given), hook.secret_hash)


def hook_for(*, slug: str, kind: str) -> InboundHook | None:
    """The active hook of `kind` on the active source `slug`, with its source."""
    return (
        InboundHook.objects.select_related("source")
        .filter(source__slug=slug, source__is_active=True, kind=kind, is_active=True)
        .first()
    )
