"""The JSON API (django-ninja): one NinjaAPI, each app mounts its routers here.

OpenAPI schema at /api/openapi.json, interactive docs at /api/docs.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from ninja import NinjaAPI

api = NinjaAPI(
    title="LeadRoute API",
    version="1.0",
    description="Lead intake for lead sources (the JSON API, Google Ads lead form and mapped JSON "
    "webhooks); pool claiming and live offers for signed-in reps.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(RequestDataTooBig)
def _body_too_big(request, exc):
    # Django's own answer is an HTML 400; an API client reads JSON.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return api.create_response(
        request, {"detail": f"The request body is larger than {limit:,} bytes."}, status=413
    )


from pools.pull.api import router as claims_router  # noqa: E402

api.add_router("/", claims_router)

# Each app's router, mounted at the API root (paths are /api/leads, …).
api.add_router("", "pools.capture.api.router")
api.add_router("", "pools.capture.webhooks.api.router")
api.add_router("", "routing.offers.api.router")
