from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from accounts.roles import Role, has_role
from leadroute.health import health_report


@login_required
@require_GET
def home(request: HttpRequest):
    """Each role lands where its day starts."""
    if has_role(request.user, Role.MANAGER) or has_role(request.user, Role.ADMIN):
        return redirect("reports:team")
    if has_role(request.user, Role.REP):
        return redirect("pools:my_leads")
    return redirect("accounts:no_role")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["healthy"] else 503)
