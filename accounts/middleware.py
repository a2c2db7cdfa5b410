"""Pages show times on the reader's clock.

The browser says which clock that is: static/js/app.js keeps the `tz` cookie at the zone
the browser runs in (`Intl`), and every request activates it, so `{{ when|date }}` and
"today" in a view are the reader's own. A rep's profile zone is for routing (their
working hours, their caps' days); what a person reads is the clock on their wall, which a
travelling rep or a manager without a profile has too. No cookie, or one that names no
IANA zone: UTC, as before.
"""

import zoneinfo

from asgiref.sync import iscoroutinefunction
from django.utils import timezone
from django.utils.decorators import sync_and_async_middleware

from .models import time_zone_names

TZ_COOKIE = "tz"


def _activate(request) -> None:
    name = request.COOKIES.get(TZ_COOKIE, "")
    if name in time_zone_names():  # a known name only: the cookie is the client's to set
        timezone.activate(zoneinfo.ZoneInfo(name))
    else:
        timezone.deactivate()


@sync_and_async_middleware
def reader_time_zone(get_response):
    # Both kinds: a sync-only middleware would cost every request served over ASGI a hop
    # to a thread and back.
    if iscoroutinefunction(get_response):

        async def middleware(request):
            _activate(request)
            try:
                return await get_response(request)
            finally:
                timezone.deactivate()

    else:

        def middleware(request):
            _activate(request)
            try:
                return get_response(request)
            finally:
                timezone.deactivate()

    return middleware
