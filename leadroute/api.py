"""The JSON API (django-ninja): one NinjaAPI, each app mounts its routers here.

OpenAPI schema at /api/openapi.json, interactive docs at /api/docs.
"""

from ninja import NinjaAPI

api = NinjaAPI(
    title="LeadRoute API",
    version="1.0",
    description="Lead intake for lead sources; pool claiming and live offers for signed-in reps.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)

from pools.pull.api import router as claims_router  # noqa: E402

api.add_router("/", claims_router)

# Each app's router, mounted at the API root (paths are /api/leads, …).
api.add_router("", "pools.capture.api.router")
api.add_router("", "routing.offers.api.router")
