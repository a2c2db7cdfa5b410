"""The report pages, registered by their views (`@report_page(...)`) when reports/urls.py
imports each family — the one list a new family joins. Tabs and the index read it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReportPage:
    key: str  # URL segment and name: /reports/<key>/, reports:<key>
    title: str
    question: str  # what the page answers, in a manager's words (the index shows it)
    view: Callable


_PAGES: dict[str, ReportPage] = {}


def report_page(*, key: str, title: str, question: str):
    """Register the decorated view as the report page `key` (in import order)."""

    def register(view: Callable) -> Callable:
        _PAGES[key] = ReportPage(key=key, title=title, question=question, view=view)
        return view

    return register


def report_pages() -> list[ReportPage]:
    return list(_PAGES.values())


def page_for(key: str) -> ReportPage:
    return _PAGES[key]
