"""A signed-in page shows what is true now.

- Never from a cache: the browser's Back button showed a pool page with the lead the
  rep had just claimed, and My leads with a lead just closed (`Cache-Control: no-store`
  also keeps such pages out of the back-forward cache, so Back asks the server again).
- When the session has ended, an htmx request (a touch logged, a claim) turns the whole
  tab to the sign-in page, coming back to where the user was — instead of the sign-in
  page pasted inside the part of the page the request was updating.
"""

from urllib.parse import urlencode

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import sync_and_async_middleware
from django_htmx.http import HttpResponseClientRedirect


def _fresh(request, response):
    if getattr(request, "htmx", False) and response.status_code == 302:
        login = resolve_url(settings.LOGIN_URL)
        if response.get("Location", "").split("?")[0] == login:
            back_to = request.htmx.current_url_abs_path or "/"
            return HttpResponseClientRedirect(f"{login}?{urlencode({'next': back_to})}")
    # The session cookie, not request.user: reading the user is a query, which async
    # middleware may not make, and a page without a session is nobody's to keep fresh.
    if settings.SESSION_COOKIE_NAME in request.COOKIES and not response.has_header("Cache-Control"):
        add_never_cache_headers(response)
    return response


@sync_and_async_middleware
def page_freshness(get_response):
    # Both kinds, as accounts.middleware: a sync-only one costs every ASGI request a thread.
    if iscoroutinefunction(get_response):

        async def middleware(request):
            return _fresh(request, await get_response(request))

    else:

        def middleware(request):
            return _fresh(request, get_response(request))

    return middleware
