from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role
from reports.pages import report_render
from reports.registry import report_page

from . import selectors


@report_page(
    key="conversion",
    order=10,
    title="Conversion",
    question="How many of the period's leads were contacted, qualified and won — by rep, "
    "routing method, rule, source, country and lead score?",
)
@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def conversion(request):
    return report_render(
        request,
        key="conversion",
        build=selectors.conversion_report,
        template="reports/conversion.html",
    )
