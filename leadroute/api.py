"""The JSON API (django-ninja): one NinjaAPI, each app mounts its routers here.

OpenAPI schema at /api/openapi.json, interactive docs at /api/docs.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from ninja import NinjaAPI
from ninja.errors import ValidationError

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


@api.exception_handler(ValidationError)
def _validation_error(request, exc):
    # Ninja's own answer, each message as its person reads it (no "Value error, " opening);
    # a JSON body that is no object ([…], null) is said to be so, where ninja would have
    # validated it as an empty one ("Give an e-mail or a phone number").
    from pools.capture.api import body_object, error_message

    errors = [{**error, "msg": error_message(error.get("msg", ""))} for error in exc.errors]
    if request.body and any((error.get("loc") or [""])[0] == "body" for error in errors):
        try:  # ninja reads the body as JSON whatever its content type says
            body_object(request)
        except ValidationError as shape:  # the body's errors become the one that matters
            errors = [e for e in errors if (e.get("loc") or [""])[0] != "body"] + shape.errors
    return api.create_response(request, {"detail": errors}, status=422)


from pools.pull.api import router as claims_router  # noqa: E402

api.add_router("/", claims_router)

# Each app's router, mounted at the API root (paths are /api/leads, …).
api.add_router("", "pools.capture.api.router")
api.add_router("", "pools.capture.webhooks.api.router")
api.add_router("", "routing.offers.api.router")
