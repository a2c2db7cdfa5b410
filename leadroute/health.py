"""Health of the services LeadRoute needs: the database, Redis, and Celery beat."""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)


def _failed(what: str, exc: Exception) -> dict:
    """The page is public: it names the check that failed; the driver's text (hosts,
    ports, user names) goes to the log only."""
    logger.warning("health check: %s", what, exc_info=exc)
    return {"ok": False, "error": what}


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:  # any failure is "unhealthy", reported, never raised
        return _failed("the database did not answer", exc)


def _check_redis() -> dict:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
        try:
            client.ping()
        finally:
            client.close()
        return {"ok": True}
    except Exception as exc:
        return _failed("Redis did not answer", exc)


def _check_beat() -> dict:
    # Imported here: the heartbeat model lives in `routing`, which owns the sweep.
    from routing.models import Heartbeat

    try:
        beat = Heartbeat.objects.filter(name=Heartbeat.SWEEP).first()
    except Exception as exc:
        return _failed("the sweep's heartbeat could not be read", exc)
    if beat is None:
        return {"ok": False, "error": "no sweep has run yet", "last_sweep_at": None}
    age = (timezone.now() - beat.beat_at).total_seconds()
    # Three missed intervals mean beat (or every worker) is down.
    ok = age <= 3 * settings.SWEEP_INTERVAL_SECONDS
    return {
        "ok": ok,
        "last_sweep_at": beat.beat_at.isoformat(),
        "age_seconds": round(age, 1),
        **({} if ok else {"error": "the last sweep is too old"}),
    }


def health_report() -> dict:
    checks = {"database": _check_database(), "redis": _check_redis(), "beat": _check_beat()}
    return {"healthy": all(c["ok"] for c in checks.values()), **checks}
