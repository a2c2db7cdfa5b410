"""Helpers the apps share: SQL batches, the Redis client, Celery on commit, live groups and
broadcasts, admin mixins. They import no app and none of leadroute's wiring (settings,
urls, ASGI, Celery app), so any app may import them (tests/test_layering.py)."""
