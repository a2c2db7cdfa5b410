from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role
from reports.pages import report_render
from reports.registry import report_page

from . import selectors


@report_page(
    key="speed",
    order=20,
    title="Speed to lead",
    question="How fast do reps first touch their leads — median and slowest tenth, from "
    "arrival and from assignment — and what share within 5 minutes, by rep and method?",
)
@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def speed(request):
    return report_render(
        request, key="speed", build=selectors.speed_report, template="reports/speed.html"
    )
