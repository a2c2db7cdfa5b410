"""The frame every report page shares: read the filters, build the report, then render
it or send one of its tables as CSV (`?format=csv&table=<key>`)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from leadroute.shared.csv_export import csv_download

from .filters import ReportFilters, report_filters
from .registry import ReportPage, page_for, report_pages
from .tables import ReportTable


def report_render(
    request: HttpRequest,
    *,
    key: str,
    build: Callable[[ReportFilters], dict],
    template: str,
) -> HttpResponse:
    """Page `key` (its registered title and question over the filter bar). `build(filters)`
    returns the template's context; its "tables" (key → ReportTable) are what the CSV links
    download. Wrong filters show the page with their message (a CSV: a plain-text 400)."""
    page = page_for(key)
    form, filters = report_filters(user=request.user, data=request.GET)
    context = {"page": page, "pages": report_pages(), "form": form, "filters": filters}
    if filters is None:
        if request.GET.get("format") == "csv":
            return _bad_request("Check the report's filters: " + _errors(form))
        return render(request, template, context)
    report = build(filters)
    if request.GET.get("format") == "csv":
        return table_csv(page=page, filters=filters, tables=report["tables"], query=request.GET)
    return render(request, template, context | report)


def table_csv(*, page: ReportPage, filters: ReportFilters, tables: dict, query) -> HttpResponse:
    name = query.get("table", "")
    table: ReportTable | None = tables.get(name)
    if table is None:
        return _bad_request(
            f"No table “{name}” on this report; its tables are: {', '.join(tables)}."
        )
    filename = f"{page.key}-{table.key}-{filters.first_day}-{filters.last_day}.csv"
    response, writer = csv_download(filename)
    for row in table.csv_rows():
        writer.writerow(row)
    return response


def _bad_request(message: str) -> HttpResponse:
    # Plain text: the message echoes what the address said, never to be read as HTML.
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _errors(form) -> str:
    return " ".join(
        f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}".lstrip(": ")
        for f, e in form.errors.items()
    )
