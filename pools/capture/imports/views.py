"""CSV import pages for managers: upload, mapping, live progress, summary, error report."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import role_required
from accounts.roles import Role
from leadroute.shared.csv_export import csv_download
from pools import selectors
from pools.capture.imports.forms import ImportMappingForm, ImportUploadForm
from pools.capture.imports.parsing import csv_inspect, csv_sample
from pools.capture.imports.services import (
    ImportRefused,
    import_job_create,
    import_job_retry,
    import_job_start,
)
from pools.models import ImportJob

# The summary lists this many duplicate rows; the CSV download has them all.
DUPLICATES_SHOWN = 20


@role_required(Role.MANAGER, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def import_upload(request):
    sources = selectors.sources_managed_by(user=request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None, sources=sources)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                user=request.user,
                source=form.cleaned_data["source"],
                filename=form.cleaned_data["file"].name,
                content=form.cleaned_data["file"].read(),
            )
        except ImportRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("pools:import_job", job.pk)
    jobs = selectors.import_jobs_visible_to(user=request.user)[:10]
    return render(
        request, "pools/import.html", {"form": form, "jobs": jobs, "has_sources": sources.exists()}
    )


@role_required(Role.MANAGER, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def import_job(request, job_id: int):
    job = get_object_or_404(
        selectors.import_jobs_visible_to(user=request.user).defer(None), pk=job_id
    )
    if job.status != ImportJob.Status.MAPPING:
        if request.method == "POST":
            if request.POST.get("action") == "retry" and import_job_retry(job=job):
                messages.success(request, "The import runs again from where it stopped.")
            else:
                messages.info(request, "This import has already started.")
            return redirect("pools:import_job", job.pk)
        template = "pools/import_job.html#progress" if request.htmx else "pools/import_job.html"
        return render(request, template, _summary_context(request, job))
    content = bytes(job.content)
    samples = csv_sample(content, info=csv_inspect(content))
    form = ImportMappingForm(
        request.POST or None, headers=job.headers, initial_mapping=job.mapping, samples=samples
    )
    if request.method == "POST" and form.is_valid():
        try:
            import_job_start(
                job=job,
                mapping=form.mapping(),
                decimal_mark=form.cleaned_data.get("decimal_mark", ""),
            )
        except ImportRefused as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("pools:import_job", job.pk)
    return render(request, "pools/import_job.html", {"job": job, "form": form})


def _summary_context(request, job: ImportJob) -> dict:
    context = {"job": job}
    if job.is_finished and job.duplicates:
        rows = selectors.import_duplicates_for(job=job, user=request.user)
        context["duplicate_rows"] = shown = list(rows[:DUPLICATES_SHOWN])
        context["duplicates_more"] = rows.count() - len(shown)
    return context


@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def import_duplicates(request, job_id: int):
    """Every duplicate row as CSV: its line, what matched and the lead it repeated (named
    only when the reader may open that lead)."""
    job = get_object_or_404(selectors.import_jobs_visible_to(user=request.user), pk=job_id)
    response, writer = csv_download(f"import-{job.pk}-duplicates.csv")
    writer.writerow(["row", "identified by", "lead id", "lead", "link"])
    for dup in selectors.import_duplicates_for(job=job, user=request.user).iterator():
        if dup.lead_visible:
            url = request.build_absolute_uri(reverse("pools:lead_detail", args=[dup.lead_id]))
            writer.writerow(
                [dup.row, dup.get_matched_by_display(), dup.lead_id, dup.lead.display_name, url]
            )
        else:
            writer.writerow([dup.row, dup.get_matched_by_display(), "", "outside your teams", ""])
    return response


@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def import_errors(request, job_id: int):
    job = get_object_or_404(selectors.import_jobs_visible_to(user=request.user), pk=job_id)
    response, writer = csv_download(f"import-{job.pk}-errors.csv")
    writer.writerow(["row", "column", "reason"])
    for row, column, reason in job.row_errors.values_list("row", "column", "reason").iterator():
        writer.writerow([row, column, reason])
    return response
