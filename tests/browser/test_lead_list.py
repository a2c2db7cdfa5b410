"""A manager looks a lead up: types a name, filters by a rep, opens the lead, clears."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pools.lifecycle import LeadState
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, LeadFactory, LeadSourceFactory, make_rep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team_leads(team, rep):
    now = timezone.now()
    source = LeadSourceFactory(name="Website", team=team)
    other_rep = make_rep(team=team)
    made = {
        "ana": LeadFactory(
            team=team,
            first_name="Ana",
            last_name="Souza",
            company="Acme Ltda",
            email="ana.souza@acme.test",
            source=source,
            status=LeadState.ASSIGNED,
            owner=rep,
            created_at=now - timedelta(hours=1),
        ),
        "anabel": LeadFactory(
            team=team,
            first_name="Anabel",
            last_name="Reis",
            company="Globex",
            email="anabel@globex.test",
            source=source,
            status=LeadState.ASSIGNED,
            owner=other_rep,
            created_at=now - timedelta(hours=2),
        ),
    }
    for i in range(8):
        LeadFactory(
            team=team,
            first_name=f"Filler{i}",
            source=source,
            created_at=now - timedelta(days=1, minutes=i),
        )
    return made


def test_manager_searches_filters_opens_and_clears(browser, live_url, manager, rep, team_leads):
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    login(page, live_url, manager.username, PASSWORD)
    page.click("nav >> text=Leads")
    page.wait_for_load_state("networkidle")
    results = page.locator("#lead-results")
    assert "10 leads" in results.inner_text()

    page.fill("#id_q", "ana")  # the results follow the typing (htmx), no submit
    page.wait_for_function("document.querySelector('#lead-results').innerText.includes('2 leads')")
    assert "Filler0" not in results.inner_text()
    assert "q=ana" in page.url  # the address keeps the search: reload or share it

    page.select_option("#id_owner", str(rep.pk))
    page.wait_for_function("document.querySelector('#lead-results').innerText.includes('1 lead')")
    assert "Ana Souza" in results.inner_text() and "Anabel" not in results.inner_text()
    screenshot(page, "lead-list-1366")

    page.click("#lead-results >> text=Ana Souza")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/leads/{team_leads['ana'].pk}/")
    assert "ana.souza@acme.test" in page.inner_text("main")

    page.go_back()
    page.wait_for_load_state("networkidle")
    # Back on the list, the typed values are still in the form.
    assert page.input_value("#id_q") == "ana"
    assert page.input_value("#id_owner") == str(rep.pk)

    page.fill("#id_q", "zebra")
    page.wait_for_selector("#lead-results:has-text('No lead matches these filters')")
    page.click("#lead-results >> text=Clear filters")
    page.wait_for_load_state("networkidle")
    assert page.input_value("#id_q") == "" and page.input_value("#id_owner") == ""
    assert "10 leads" in results.inner_text()
    page.close()


def test_the_team_page_opens_a_reps_leads_on_a_phone(browser, live_url, manager, rep, team_leads):
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    login(page, live_url, manager.username, PASSWORD)
    page.click(f"#team-reps >> text={rep.display_name}")
    page.wait_for_load_state("networkidle")
    assert page.input_value("#id_owner") == str(rep.pk)
    rows = page.locator("#lead-results tbody tr")
    assert rows.count() == 1
    # On a phone the row folds its columns into the name's cell, and fits the screen.
    assert rows.first.locator(".only-sm").first.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "lead-list-phone")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"
    page.close()
