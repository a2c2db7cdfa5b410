"""The lead page as its owner uses it, at a laptop's and a phone's width."""

import pytest

from pools.pull.claim import lead_claim
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, PoolFactory, make_rep
from tests.pool_helpers import pooled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
URL = (
    "https://www.example.com/campaigns/landing?utm_source=google&utm_medium=cpc"
    "&utm_campaign=black_friday_2026_brazil_sellers&gclid=" + "Cj0KCQiACj0KCQiA" * 8
)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_long_address_in_a_note_wraps_inside_the_timeline(browser, live_url, team, viewport):
    """A pasted tracking URL (one unbroken word) once widened the timeline past the
    screen and squeezed the details to a letter per line."""
    rep = make_rep(team=team)
    lead = lead_claim(
        user=rep, lead_id=pooled(PoolFactory(team=team), email="ayla.viana@example.com").pk
    )
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    login(page, live_url, rep.username, PASSWORD)
    page.goto(f"{live_url}/leads/{lead.pk}/")
    page.fill("#note-text", URL)
    page.click("text=Add note")
    page.locator("#timeline").get_by_text("utm_source=google", exact=False).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    email = page.locator(".details a[href^='mailto:']").bounding_box()
    assert email["height"] < 40  # on one line, not a letter per line
    screenshot(page, f"lead-long-note-{viewport['width']}")
    context.close()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_won_count_opens_the_reps_closed_leads(browser, live_url, team, viewport):
    from decimal import Decimal

    from django.utils import timezone

    from pools.lifecycle import LeadState
    from tests.factories import LeadFactory

    rep = make_rep(team=team)
    won = LeadFactory(
        status=LeadState.WON,
        owner=rep,
        team=team,
        company="Peças Rápidas Ltda",
        won_value=Decimal("20000"),
        closed_at=timezone.now(),
    )
    LeadFactory(status=LeadState.LOST, owner=rep, team=team, lost_reason="No budget this quarter")
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    login(page, live_url, rep.username, PASSWORD)
    page.goto(f"{live_url}/leads/mine/")
    page.get_by_title("Your won and lost leads").click()
    page.wait_for_url("**/leads/mine/?show=closed")
    row = page.locator(f"#closed-lead-{won.pk}")
    row.get_by_text("20,000.00").wait_for()
    assert page.get_by_text("No budget this quarter").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"my-leads-closed-{viewport['width']}")
    context.close()


def test_the_disposition_shows_only_the_field_its_outcome_asks_for(browser, live_url, team):
    rep = make_rep(team=team)
    lead = lead_claim(user=rep, lead_id=pooled(PoolFactory(team=team)).pk)
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    login(page, live_url, rep.username, PASSWORD)
    page.goto(f"{live_url}/leads/{lead.pk}/")
    won, lost = page.locator("#won-value"), page.locator("#lost-reason")
    assert not won.is_visible() and not lost.is_visible()  # "Contacted" asks for neither
    page.select_option("#disp", "lost")
    assert lost.is_visible() and not won.is_visible()
    page.select_option("#disp", "contacted")
    page.click("#workspace button:has-text('Save')")
    page.locator("#workspace .flash-success").wait_for()
    page.select_option("#disp", "qualified")
    page.click("#workspace button:has-text('Save')")
    page.locator("#disp option[value=won]").wait_for(state="attached")
    page.select_option("#disp", "won")  # the swapped-in form is wired up too
    assert won.is_visible() and not lost.is_visible()
    screenshot(page, "lead-disposition-won")
    context.close()


def test_a_lead_routed_to_a_rep_arrives_on_their_open_my_leads(browser, live_url, team):
    """Routing gave the lead and told nobody: the rep saw it only after a reload (a desk
    hand-assign already arrived live)."""
    from routing.engine import lead_route
    from tests.browser.conftest import open_live
    from tests.routing_factories import RuleFactory, screened_lead

    rep = make_rep(team=team)
    RuleFactory(team=team)
    context, page = open_live(browser, live_url, rep, "/leads/mine/")
    lead = screened_lead(team=team, first_name="Just", last_name="Arrived")
    lead_route(lead=lead)
    page.locator(f"#my-lead-{lead.pk}").wait_for(timeout=2_000)
    assert page.locator("#toasts").get_by_text("New lead for you: Just Arrived").is_visible()
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "my-leads-routed-live")
    context.close()


def test_working_a_lead_moved_away_meanwhile_says_the_page_is_out_of_date(browser, live_url, team):
    """The touch answered 404 and htmx swapped nothing: the click seemed to do nothing."""
    from routing.desk.services import lead_hand_assign
    from tests.factories import make_manager

    rep, other = make_rep(team=team), make_rep(team=team)
    lead = lead_claim(user=rep, lead_id=pooled(PoolFactory(team=team)).pk)
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    login(page, live_url, rep.username, PASSWORD)
    page.goto(f"{live_url}/leads/{lead.pk}/")
    lead_hand_assign(
        manager=make_manager(teams=[team]), lead_id=lead.pk, rep_id=other.pk, reason="Leave"
    )
    page.fill("#touch-note", "Left a voicemail")
    page.click("text=Log touch")
    warning = page.locator("#toasts .flash-warning")
    warning.wait_for(timeout=2_000)
    assert "This page is out of date" in warning.inner_text()
    page.wait_for_timeout(300)
    assert warning.count() == 1  # the page's other parts failing too say it once
    screenshot(page, "lead-moved-away-warning")
    context.close()
