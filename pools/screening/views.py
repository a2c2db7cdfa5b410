"""Manager pages of screening: the Unqualified list and its override."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from pools import selectors
from pools.lifecycle import IllegalTransition
from pools.screening.services import lead_override_rejection
from pools.services import LeadChanged


@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def unqualified(request):
    page = Paginator(selectors.leads_unqualified_for(user=request.user), 50).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "leads": page.object_list}
    template = (
        "pools/unqualified.html#unqualified-table" if request.htmx else "pools/unqualified.html"
    )
    return render(request, template, context)


@role_required(Role.MANAGER, Role.ADMIN)
@require_POST
def override(request, lead_id: int):
    # 404 for a lead outside the manager's teams, as for any lead they may not see.
    lead = get_object_or_404(selectors.leads_unqualified_for(user=request.user), pk=lead_id)
    try:
        lead_override_rejection(lead=lead, actor=request.user)
        text, ok = f"{lead.display_name} is back in routing.", True
    except (LeadChanged, IllegalTransition):
        text, ok = f"{lead.display_name} was already moved by someone else.", False
    if request.htmx:
        # The row is replaced by a one-line note; the list itself stays where it was.
        return render(
            request, "pools/unqualified.html#overridden-row", {"lead": lead, "text": text, "ok": ok}
        )
    (messages.success if ok else messages.warning)(request, text)
    return redirect("pools:unqualified")
