from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role
from reports.pages import report_render
from reports.registry import report_page

from .selectors import escalation_report


@report_page(
    key="escalations",
    title="SLA & escalations",
    order=60,
    question="How many leads breach their SLA's first step, what did escalation do about "
    "it, and whose leads were reminded about or taken away?",
)
@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def escalations(request):
    return report_render(
        request, key="escalations", build=escalation_report, template="reports/escalations.html"
    )
