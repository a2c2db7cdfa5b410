import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadroute.settings")
# Django must be set up before anything imports models (the consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from leadroute.asgi_sync import SyncThreadPoolHandler  # noqa: E402
from routing.live.ws_urls import websocket_urlpatterns  # noqa: E402

# The JSON API is the hot path (integrations post leads in bursts): it is served by the
# sync handler on a fixed thread pool, one thread hop per request (see asgi_sync). Pages
# keep Django's ASGI handler. Both run the same MIDDLEWARE and URLconf.
api_app = SyncThreadPoolHandler(threads=settings.API_THREADS)


async def http_app(scope, receive, send):
    app = api_app if scope["path"].startswith("/api/") else django_asgi_app
    await app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
