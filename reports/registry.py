"""The report pages, registered by their views (`@report_page(...)`) when reports/urls.py
imports each family — the one list a new family joins. Tabs and the index list them by
`order` (conversion 10, speed 20, fairness 30; a new family picks its place)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReportPage:
    key: str  # URL segment and name: /reports/<key>/, reports:<key>
    title: str
    question: str  # what the page answers, in a manager's words (the index shows it)
    view: Callable
    order: int


_PAGES: dict[str, ReportPage] = {}


def report_page(*, key: str, title: str, question: str, order: int):
    """Register the decorated view as the report page `key`."""

    def register(view: Callable) -> Callable:
        _PAGES[key] = ReportPage(key=key, title=title, question=question, view=view, order=order)
        return view

    return register


def report_pages() -> list[ReportPage]:
    return sorted(_PAGES.values(), key=lambda page: (page.order, page.key))


def page_for(key: str) -> ReportPage:
    return _PAGES[key]
