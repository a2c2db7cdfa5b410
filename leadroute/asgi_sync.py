"""Django's sync request handler served from ASGI, one thread hop per request.

Django's own ASGIHandler runs a sync project's middleware in async mode: every
`MiddlewareMixin` middleware hops to a thread for `process_request` and again for
`process_response`, the sync-only WhiteNoise middleware hops back to the event loop, the
view hops once more, and each request gets a brand-new thread (asgiref's
ThreadSensitiveContext), so per-thread state (the DB connection wrapper, Celery's result
backend) is rebuilt every time. Profiling `POST /api/leads` showed that machinery costing
about as much CPU as the view's own work.

This handler reads the body on the event loop, then runs the whole sync chain — the same
MIDDLEWARE, the same URLconf, the request signals — in one call on a fixed pool of threads,
as a threaded WSGI server would, and sends the response from the loop. Everything a
request touches in Django (DB connection, request signals) stays on one thread, which is
what Django's sync code needs.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import HttpResponse
from django.urls import set_script_prefix


class SyncThreadPoolHandler(ASGIHandler):
    """ASGI callable for `http` scopes; `threads` bounds the requests served at once per
    process (keep it at or under the DB connection pool size, so no thread waits for a
    connection)."""

    def __init__(self, *, threads: int):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"{type(self).__name__} serves http scopes, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self._executor, self._respond, scope, body_file)
        finally:
            body_file.close()
        await self.send_response(response, send)

    def _respond(self, scope, body_file) -> HttpResponse:
        """The WSGI handler's steps, in this pool thread."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
        if response.streaming:
            # Buffered here, so that close() below may end the request: nothing served
            # through this handler streams (JSON API responses are small).
            try:
                body = b"".join(response.streaming_content)
            finally:
                response.close()
            buffered = HttpResponse(body, status=response.status_code)
            buffered.headers = response.headers
            buffered.cookies = response.cookies
            return buffered
        # request_finished (which hands the DB connection back) must run on the thread that
        # used it. The body is already rendered, so the loop only copies bytes out.
        response.close()
        return response
