"""Pool pages for reps and the htmx claim buttons. Thin: parse, call one service, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import role_required
from accounts.roles import Role
from pools.lifecycle import LeadState
from pools.models import Pool
from pools.pull import selectors as ps
from pools.pull.claim import ClaimError, LeadTaken, PoolUnavailable, lead_claim, pool_claim_next


@role_required(Role.REP, Role.MANAGER, Role.ADMIN)
@require_GET
def pool_list(request):
    pools = (
        ps.pools_viewable_by(user=request.user)
        .select_related("team", "territory")
        .annotate(waiting=Count("leads", filter=Q(leads__status=LeadState.POOLED)))
    )
    return render(request, "pools/pool_list.html", {"pools": pools})


def _pool_or_404(request, pool_id: int) -> Pool:
    pool = ps.pools_viewable_by(user=request.user).filter(pk=pool_id).first()
    if pool is None:
        raise Http404("No such pool.")
    return pool


@role_required(Role.REP, Role.MANAGER, Role.ADMIN)
@require_GET
def pool_detail(request, pool_id: int):
    pool = _pool_or_404(request, pool_id)
    # A manager reads their teams' pools without claiming: each lead offers "Assign to…"
    # (the desk) instead. The claim itself checks the rep's scope again.
    can_claim = ps.pools_usable_by(user=request.user).filter(pk=pool.pk).exists()
    query = ps.PoolQuery.from_params(request.GET, pool=pool)
    page = ps.pool_page(pool=pool, query=query)
    context = {
        "pool": pool,
        "can_claim": can_claim,
        "query": query,
        "page": page,
        "blind": pool.mode == Pool.Mode.BLIND,
        "columns": page.columns,
        "filter_fields": ps.pool_filter_fields(pool=pool),
        "sorts": ps.SORTS,
        "params": query.as_params(),
        "clear_filters_url": "?" + urlencode({"sort": query.sort}),
    }
    if page.next_cursor:
        context["next_url"] = "?" + urlencode({**context["params"], "after": page.next_cursor})
    context["params_first_page"] = urlencode(context["params"])
    if request.htmx:
        return render(request, "pools/pool.html#pool-table", context)
    # The menus are outside the table fragment: only a full page needs them.
    context["choices"] = ps.pool_filter_choices(pool=pool).keeping(query)
    return render(request, "pools/pool.html", context)


def _claim_response(request, pool_id: int, *, claim, row_token: str = ""):
    # No lookup of the pool here: the claim service checks the rep's scope in its own
    # round trip, and an out-of-scope or missing pool is a 404 as on the pool page.
    try:
        lead = claim()
    except PoolUnavailable:
        raise Http404("No such pool.") from None
    except ClaimError as exc:
        if request.htmx:
            # The calm answer, for the page's message area (the Claim forms target it). Not
            # the row: the winner's live frame deletes the row by its id, before or after
            # this answer lands, and took the message with it. Nor an HX-Retarget: htmx
            # resolves it from the form, which that frame may have taken out of the page.
            gone = row_token if isinstance(exc, LeadTaken) else ""
            return render(
                request, "pools/partials/_claim_message.html", {"error": exc, "gone_token": gone}
            )
        messages.warning(request, exc.message)
        return redirect("pools:pool", pool_id=pool_id)
    url = reverse("pools:lead_detail", args=[lead.pk])
    messages.success(request, "It's yours. Make first contact now.")
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@role_required(Role.REP)
@require_POST
def pool_claim(request, pool_id: int):
    try:
        lead_id = int(request.POST.get("lead", ""))
    except ValueError:
        return HttpResponse("Choose a lead to claim.", status=400)
    return _claim_response(
        request,
        pool_id,
        row_token=ps.row_token(pool_id=pool_id, lead_id=lead_id),
        claim=lambda: lead_claim(user=request.user, lead_id=lead_id, pool_id=pool_id),
    )


@role_required(Role.REP)
@require_POST
def pool_claim_next_view(request, pool_id: int):
    filters = None
    # The page sends its filters with the button; a bare POST (no filters) needs no look
    # at the pool here: the claim checks the rep's scope itself.
    if any(request.POST.get(name) for name in ps.FILTER_PARAMS):
        filters = ps.PoolFilters.from_params(request.POST, pool=_pool_or_404(request, pool_id))

    def claim():
        if filters is not None and filters.errors:
            # A filter that cannot be read is not dropped here: that would hand the rep a
            # lead outside what they asked for.
            raise ClaimError("Nothing claimed: " + " ".join(filters.errors))
        return pool_claim_next(user=request.user, pool_id=pool_id, filters=filters)

    return _claim_response(request, pool_id, claim=claim)
