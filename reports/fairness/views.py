from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role
from reports.pages import report_render
from reports.registry import report_page

from . import selectors


@report_page(
    key="fairness",
    order=30,
    title="Fairness",
    question="Did each rep get their weight's share of the period's leads, and how even is "
    "the distribution (Gini coefficient)?",
)
@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def fairness(request):
    return report_render(
        request, key="fairness", build=selectors.fairness_report, template="reports/fairness.html"
    )
