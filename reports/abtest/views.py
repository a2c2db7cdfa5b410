from urllib.parse import urlencode

from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role
from accounts.selectors import teams_managed_by
from reports.pages import report_render
from reports.registry import report_page

from .forms import ArmsForm
from .selectors import ab_report


@report_page(
    key="ab",
    title="A/B comparison",
    order=70,
    question="Does one period, rule or routing method convert better or reach leads "
    "faster than another — and could the difference be chance?",
)
@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def ab(request):
    """The arms ride in the query string beside the shared filters; until they are
    chosen (or while they are wrong) the page shows the form and its message."""
    data = request.GET if "compare" in request.GET else None
    arms = ArmsForm(data, user=request.user, teams=teams_managed_by(user=request.user))
    arms_data = arms.cleaned_data if arms.is_bound and arms.is_valid() else None

    # The filter bar and the CSV links carry the arms along (hidden fields, query).
    keep = [(name, request.GET[name]) for name in arms.fields if request.GET.get(name)]

    def build(filters):
        return ab_report(filters, arms_data) | {
            "arms_form": arms,
            "keep": keep,
            "filter_query": filters.query(),
            "csv_query": f"{urlencode(keep)}&{filters.querystring()}" if keep else "",
        }

    return report_render(request, key="ab", build=build, template="reports/ab.html")
