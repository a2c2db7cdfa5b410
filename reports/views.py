from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role
from accounts.selectors import teams_managed_by

from . import selectors
from .registry import report_pages


@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def team(request):
    teams = teams_managed_by(user=request.user)
    context = {"teams": teams, **selectors.team_overview(teams=teams)}
    # The live board re-reads itself (reports/team.html's hx-get): the fragment alone.
    template = "reports/team.html#team-board-body" if request.htmx else "reports/team.html"
    return render(request, template, context)


@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def index(request):
    """What each report answers; every link keeps the filters the reader came with."""
    return render(
        request, "reports/index.html", {"pages": report_pages(), "query": request.GET.urlencode()}
    )
