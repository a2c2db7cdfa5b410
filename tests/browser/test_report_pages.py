"""A manager opens each report at laptop and phone width (screenshots in test-artifacts/)."""

import pytest

from reports.registry import report_pages
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD
from tests.reports.fixtures import world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_manager_opens_every_report_at_laptop_and_phone_width(browser, live_url, width, height):
    import reports.urls  # noqa: F401  (registers the pages)
    from tests.reports.test_quotas import quota_seed

    w = quota_seed(world())  # with quotas, so the quota report shows its bars
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    login(page, live_url, w.manager.username, PASSWORD)
    page.goto(f"{live_url}/reports/")
    screenshot(page, f"reports-index-{width}")
    for report in report_pages():
        page.goto(f"{live_url}/reports/{report.key}/")
        assert page.locator("h1").inner_text() == report.title
        # Nothing sideways: the page fits the viewport's width.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"reports-{report.key}-{width}")
