"""The signature on every delivery: HMAC-SHA256 of "<timestamp>.<body>" with the
subscription's secret, in a header `LeadRoute-Signature: t=<unix seconds>,v1=<hex>` (the
scheme payment platforms use). The timestamp is signed, so a receiver that rejects old
ones rejects replays; after a rotation a second v1 carries the previous secret's."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "LeadRoute-Signature"
TOLERANCE_SECONDS = 300


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secrets: list[str], timestamp: int, body: bytes) -> str:
    return ",".join(
        [f"t={timestamp}"]
        + [f"v1={signature(secret=s, timestamp=timestamp, body=body)}" for s in secrets]
    )


def signature_verify(
    *, header: str, body: bytes, secret: str, tolerance: int = TOLERANCE_SECONDS, now=None
) -> bool:
    """The receiver's check (the README shows the same in a few lines): a v1 matches and
    the timestamp is recent."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")
