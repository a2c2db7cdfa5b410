"""Report pages: read-only aggregations for managers (their teams) and admins (all).

The shared frame: `filters` (period, team, source from the query string; scope and 404s),
`tables` (a table written once, shown as HTML and CSV), `charts` (server-side SVG),
`pages.report_render` (filters → build → page or `?format=csv&table=<key>`), `registry`
(the pages the tabs and the index list), and the templates `reports/report_base.html`,
`_filters.html`, `_table.html`, `_stats.html`.

A new report family, e.g. pools & offers:
1. `reports/pools/selectors.py`: `pools_report(filters: ReportFilters) -> dict` returning
   {"stats": [Stat…], "tables": {key: ReportTable…}}; every figure one SQL aggregation
   starting from `filters.leads()` (or `filters.lead_q(prefix)` through a relation).
2. `reports/pools/views.py`: a view decorated `@report_page(key=…, title=…, question=…)`,
   `@role_required(Role.MANAGER, Role.ADMIN)`, `@require_GET`, calling
   `report_render(request, key=…, build=…, template=…)`.
3. `reports/templates/reports/<key>.html`: extends "reports/report_base.html", fills
   `{% block report %}` with `_stats.html` and one `_table.html` include per table.
4. One import in `reports/urls.py` (FAMILIES), a row in tests/test_authorization_matrix.py.
"""
