from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role
from reports.pages import report_render
from reports.registry import report_page

from .offers import offer_report
from .pools import pool_report


@report_page(
    key="pools",
    title="Pools",
    order=40,
    question="How long do pooled leads wait to be claimed, which are never claimed, and "
    "how long have the leads in each pool been waiting?",
)
@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def pools(request):
    return report_render(request, key="pools", build=pool_report, template="reports/pools.html")


@report_page(
    key="offers",
    title="Offers",
    order=50,
    question="How do live offers end — accepted, declined, expired, withdrawn — and how "
    "fast are they accepted, by method and by rep?",
)
@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def offers(request):
    return report_render(request, key="offers", build=offer_report, template="reports/offers.html")
