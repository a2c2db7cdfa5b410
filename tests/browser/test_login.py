from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from pools.lifecycle import LeadState
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_logs_in_and_sees_their_leads(browser, live_url, rep, other_rep):
    created = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)
    mine = LeadFactory(
        status=LeadState.ASSIGNED, owner=rep, company="Mine Ltda", created_at=created
    )
    theirs = LeadFactory(status=LeadState.ASSIGNED, owner=other_rep, company="Theirs SA")
    context = browser.new_context(timezone_id="America/Sao_Paulo")  # the rep's laptop
    page = context.new_page()
    login(page, live_url, rep.username, PASSWORD)
    assert page.url.endswith("/leads/mine/")
    table = page.locator("#lead-table")
    assert mine.display_name in table.inner_text()
    assert theirs.display_name not in page.content()
    screenshot(page, "rep-my-leads")
    # Wide screen: the state and the long age; the phone's short age stays hidden.
    row = table.locator("tbody tr").first
    assert row.locator(".badge").is_visible() and not row.locator(".only-sm").is_visible()
    page.click(f"text={mine.display_name}")
    page.wait_for_load_state("networkidle")
    assert "Timeline" in page.inner_text("main")
    # Times on the rep's own clock: the browser told the server its zone.
    assert "Created\n2026-03-03 23:30" in page.inner_text("main")
    context.close()


def test_my_leads_on_a_phone_shows_the_short_age(browser, live_url, rep):
    LeadFactory(
        status=LeadState.ASSIGNED, owner=rep, assigned_at=timezone.now() - timedelta(hours=30)
    )
    page = browser.new_page(viewport={"width": 390, "height": 844})
    login(page, live_url, rep.username, PASSWORD)
    row = page.locator("#lead-table tbody tr").first
    assert row.locator(".only-sm").inner_text() == "30 h" and row.locator(".only-sm").is_visible()
    assert not row.locator(".hide-sm").first.is_visible()  # the state column, folded away
    screenshot(page, "rep-my-leads-phone")
    page.close()


def test_manager_logs_in_and_sees_the_team(browser, live_url, manager, rep, other_rep):
    LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=rep.rep_profile.team)
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    login(page, live_url, manager.username, PASSWORD)
    assert page.url.endswith("/reports/team/")
    reps_table = page.locator("#team-reps")
    assert rep.display_name in reps_table.inner_text()
    assert other_rep.display_name not in reps_table.inner_text()
    screenshot(page, "manager-team-phone")
    page.close()


def test_the_phone_menu_opens_from_the_keyboard(browser, live_url, rep):
    """The ☰ is drawn for a checkbox that once had display: none, so nothing could take
    focus: the menu (Pools, Sign out) was out of reach without a tap."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, live_url, rep.username, PASSWORD)
    nav = page.locator("nav.nav")
    assert not nav.is_visible()
    page.locator(".brand").focus()
    for _ in range(5):  # brand, bell, then the menu's checkbox
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "nav-toggle":
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Menu"
    page.keyboard.press("Space")
    assert nav.is_visible() and nav.get_by_role("link", name="Pools").is_visible()
    screenshot(page, "phone-menu-open")
    page.keyboard.press("Space")
    assert not nav.is_visible()
    context.close()
