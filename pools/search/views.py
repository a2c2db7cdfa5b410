"""The manager's lead list: search and filters over their teams' leads."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from accounts.decorators import role_required
from accounts.roles import Role
from pools.models import Lead
from pools.search import selectors
from pools.search.forms import LeadSearchForm

PAGE_SIZE = 25


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# Managers and admins only: a rep's leads are "My leads"; the owner and team filters are a
# manager's questions.
@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
# The page and its fragment share a URL (hx-push-url): without this, "Back" from a lead may
# show the cached fragment alone.
@vary_on_headers("HX-Request")
def lead_list(request: HtmxHttpRequest) -> HttpResponse:
    form = LeadSearchForm(request.GET, user=request.user)
    if form.is_valid():
        leads = selectors.leads_search(user=request.user, **form.search_arguments())
    else:
        leads = Lead.objects.none()
    page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    template = "pools/lead_list.html#lead-results" if request.htmx else "pools/lead_list.html"
    return render(request, template, context)
