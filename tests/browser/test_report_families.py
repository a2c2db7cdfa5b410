"""A manager reads the pools, offers, escalations and A/B reports as a person does: opens
each, changes the period, downloads a table's CSV; another team's manager sees none of
it. Screenshots at laptop and phone width in test-artifacts/."""

import csv
import io
from pathlib import Path

import pytest

from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD
from tests.reports.fixtures import world
from tests.reports.test_ab import _rules_world
from tests.reports.test_escalations import escalation_world
from tests.reports.test_pools_offers import offer_world, pool_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Page, the table whose CSV is downloaded, and a figure only team A's manager may see.
PAGES = [
    ("pools", "claim_time", "Inbound"),
    ("offers", "by_rep", "Ana Alves"),
    ("escalations", "by_rep", "Bo Brito"),
]


def _everything():
    w, fast, slow = _rules_world()
    pool_world(w)
    offer_world(w)
    escalation_world(w)
    return w, fast, slow


def _csv(download) -> list[list[str]]:
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_manager_reads_each_report_changes_the_period_and_downloads_csv(browser, live_url):
    w, fast, slow = _everything()
    page = browser.new_context(
        viewport={"width": 1366, "height": 900}, accept_downloads=True
    ).new_page()
    login(page, live_url, w.manager.username, PASSWORD)
    for key, table, figure in PAGES:
        page.goto(f"{live_url}/reports/{key}/")
        assert figure in page.locator("main").inner_text()
        page.select_option("#id_period", "90d")
        page.click(".report-filters button[type=submit]")
        page.wait_for_url("**period=90d**")
        assert page.locator("#id_period").input_value() == "90d"
        with page.expect_download() as info:
            page.click(f"#table-{table} .csv-link")
        download = info.value
        assert download.suggested_filename.startswith(f"{key}-{table}-")
        rows = _csv(download)
        shown = page.locator(f"#table-{table} tbody tr").count()
        assert len(rows) - 1 >= shown > 0  # header + every row shown (+ a total)
        assert figure in {r[0] for r in rows[1:]}
    # 90 days takes in the 40-day-old pooled lead: 8 entered a pool, not 7 (the pool
    # world's 6 and the escalation world's aged one).
    page.goto(f"{live_url}/reports/pools/?period=90d")
    assert page.locator("#table-outcomes tfoot").inner_text().split()[-2] == "8"
    page.goto(f"{live_url}/reports/pools/")
    assert page.locator("#table-outcomes tfoot").inner_text().split()[-2] == "7"


def test_manager_compares_two_rules_and_downloads_the_test(browser, live_url):
    w, fast, slow = _everything()
    for width, height in [(1366, 900), (390, 844)]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        page = context.new_page()
        login(page, live_url, w.manager.username, PASSWORD)
        page.goto(f"{live_url}/reports/ab/")
        page.select_option("#id_compare", "rules")
        page.select_option("#id_rule_a", str(slow.pk))
        page.select_option("#id_rule_b", str(fast.pk))
        page.click(".ab-arms button[type=submit]")
        page.wait_for_url(f"**rule_b={fast.pk}**")
        verdict = page.locator(".ab-verdict").first.inner_text()
        assert "B converts 16.7 points better than A" in verdict
        assert "could easily arise by chance" in verdict
        # Changing the period keeps the arms (they ride in the filter bar).
        page.select_option("#id_period", "90d")
        page.click(".report-filters:not(.ab-arms) button[type=submit]")
        page.wait_for_url("**period=90d**")
        assert f"rule_a={slow.pk}" in page.url
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"reports-ab-rules-{width}")
        for key in ("pools", "offers", "escalations"):
            page.goto(f"{live_url}/reports/{key}/")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"reports-{key}-data-{width}")
        page.goto(f"{live_url}/reports/ab/?compare=rules&rule_a={slow.pk}&rule_b={fast.pk}")
        with page.expect_download() as info:
            page.click("#table-tests .csv-link")
        rows = _csv(info.value)
        assert rows[1][:4] == ["Conversion", "50.0", "66.7", "16.7"]
        context.close()


def test_another_teams_manager_sees_none_of_these_figures(browser, live_url):
    w, fast, slow = _everything()
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    login(page, live_url, w.manager_b.username, PASSWORD)
    for key, _table, figure in PAGES:
        page.goto(f"{live_url}/reports/{key}/?period=90d")
        text = page.locator("main").inner_text()
        assert figure not in text and "Ana Alves" not in text and "Alpha" not in text
        response = page.goto(f"{live_url}/reports/{key}/?team={w.team_a.pk}")
        assert response.status == 404
    page.goto(f"{live_url}/reports/ab/?compare=rules&rule_a={slow.pk}&rule_b={fast.pk}")
    assert "not a rule of your teams" in page.locator("main").inner_text()


def test_world_is_not_needed_for_an_empty_page(browser, live_url):
    w = world()
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    login(page, live_url, w.manager.username, PASSWORD)
    page.goto(
        f"{live_url}/reports/ab/?compare=periods&a_start=2020-01-01&a_end=2020-01-31&b_start=2020-02-01&b_end=2020-02-28"
    )
    assert "A and B have no leads to count" in page.locator("main").inner_text()
    screenshot(page, "reports-ab-empty-390")
