from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role
from reports.pages import report_render
from reports.registry import report_page

from . import selectors


@report_page(
    key="quotas",
    order=35,
    title="Quotas",
    question="Where does each rep stand against their quotas — leads worked, touches, deals "
    "won and won value — for the week or month the period ends in?",
)
@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def quotas(request):
    return report_render(
        request, key="quotas", build=selectors.quota_report, template="reports/quotas.html"
    )
