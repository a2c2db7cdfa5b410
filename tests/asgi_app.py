"""The ASGI app the test server runs: LeadRoute's own, plus one thing only tests need.

Between transactional tests pytest-django truncates every table, content types included,
and recreates them under new ids; a server process would keep the old ids in
ContentType's cache, and the admin's change log would then break a foreign key on the
next test's save. Clearing that cache as each request starts keeps the server in step
with the flushed database (one dict lookup a request, tests only)."""

from django.core.signals import request_started

from leadroute.asgi import application

__all__ = ["application"]


def _content_types_fresh(**kwargs) -> None:
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


request_started.connect(_content_types_fresh, weak=False)
