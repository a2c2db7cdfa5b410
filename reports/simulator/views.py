"""Rule replay pages: the list of kept replays with the "New replay" form, a replay's page
(live progress, then the comparison and the per-lead table), its cancel, its CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from leadroute.shared.csv_export import csv_stream
from reports.registry import page_for, report_page, report_pages
from routing.models import SimulationRun
from routing.simulator.runs import RunRefused, simulation_run_cancel, simulation_run_create
from routing.simulator.selectors import simulation_may_run, simulation_runs_visible_to

from .forms import LeadFilterForm, ReplayForm
from .selectors import LEAD_FIELDS, lead_rows, run_comparison, run_csv_rows, run_leads

LEADS_PER_PAGE = 50
RUNS_LISTED = 50


@report_page(
    key="simulations",
    order=80,
    title="Rule replays",
    question="What would a draft rule set have done with a past period's leads — beside the "
    "live rules and what really happened?",
)
@role_required(Role.MANAGER, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def simulations(request):
    may_run = simulation_may_run(user=request.user)
    if request.method == "POST" and not may_run:
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    # A draft's admin page links here with the draft chosen (?draft=).
    initial = {"draft": request.GET.get("draft")} if data is None else None
    form = ReplayForm(data, user=request.user, initial=initial) if may_run else None
    if request.method == "POST" and form.is_valid():
        start, end = form.period()
        try:
            run = simulation_run_create(
                user=request.user,
                draft=form.cleaned_data["draft"],
                start=start,
                end=end,
                team=form.cleaned_data["team"],
            )
        except RunRefused as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("reports:simulation", run.pk)
    runs = simulation_runs_visible_to(user=request.user).select_related("team", "created_by")
    context = {
        **_tabs(),
        "form": form,
        "runs": runs[:RUNS_LISTED],
        "may_run": may_run,
    }
    return render(request, "reports/simulator/runs.html", context)


def _tabs() -> dict:
    """The report tabs, with this page's chosen."""
    return {"page": page_for("simulations"), "pages": report_pages()}


def _visible_run(request, run_id: int) -> SimulationRun:
    runs = simulation_runs_visible_to(user=request.user).select_related("team", "created_by")
    return get_object_or_404(runs, pk=run_id)


@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def simulation(request, run_id: int):
    """The replay's page. While it runs, its socket (`?simulation=`) pushes the progress
    bar, and the run's end has the page re-read `#simulation-body` (htmx)."""
    run = _visible_run(request, run_id)
    context = {
        **_tabs(),
        "run": run,
        "may_cancel": not run.is_finished and simulation_may_run(user=request.user),
    }
    if run.state == SimulationRun.State.DONE:
        comparison = run_comparison(run)
        context |= comparison | _lead_table(request, run, comparison["names"], comparison["pools"])
    if request.htmx:
        target = "lead-table" if request.htmx.target == "simulation-leads" else "simulation-body"
        return render(request, f"reports/simulator/run.html#{target}", context)
    return render(request, "reports/simulator/run.html", context)


def _lead_table(request, run: SimulationRun, names: dict, pools: dict) -> dict:
    filters = LeadFilterForm(request.GET, reps=names)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    rows = run_leads(
        run,
        changed=chosen.get("changed", False),
        rep=chosen.get("rep"),
        outcome=chosen.get("outcome", ""),
    )
    page = Paginator(rows.values(*LEAD_FIELDS), LEADS_PER_PAGE).get_page(request.GET.get("page"))
    query = {k: v for k, v in chosen.items() if v not in (None, "", False)}
    return {
        "lead_filters": filters,
        "lead_page": page,
        "lead_rows": lead_rows(list(page.object_list), names=names, pools=pools),
        "lead_query": urlencode(query),
    }


@role_required(Role.MANAGER, Role.ADMIN)
@require_POST
def simulation_cancel(request, run_id: int):
    run = _visible_run(request, run_id)
    if not simulation_may_run(user=request.user):
        raise PermissionDenied
    if simulation_run_cancel(run_id=run.pk):
        messages.success(request, "The replay was cancelled; nothing of it is kept.")
    else:
        messages.info(request, "The replay had already finished.")
    return redirect("reports:simulation", run.pk)


@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def simulation_csv(request, run_id: int):
    """Every lead of the replay (the table's filters apply), streamed."""
    run = _visible_run(request, run_id)
    if run.state != SimulationRun.State.DONE:
        return HttpResponseBadRequest(
            f"This replay has no results to download: it is {run.get_state_display().lower()}.",
            content_type="text/plain; charset=utf-8",
        )
    names = {int(k) for v in ("really", "live", "draft") for k in run.totals[v]["per_rep"]}
    filters = LeadFilterForm(request.GET, reps=dict.fromkeys(names, ""))
    if not filters.is_valid():
        errors = " ".join(f"{f}: {' '.join(e)}" for f, e in filters.errors.items())
        return HttpResponseBadRequest(
            "Check the filters: " + errors, content_type="text/plain; charset=utf-8"
        )
    chosen = filters.cleaned_data
    rows = run_leads(run, changed=chosen["changed"], rep=chosen["rep"], outcome=chosen["outcome"])
    return csv_stream(f"replay-{run.pk}-leads.csv", run_csv_rows(rows, run=run))
