"""Pool pages as a rep uses them (issue 24, points 3–5): Claim next with filters, filters that
say what they find, the race loser's message that stays, and a phone's view of a pool."""

import pytest
from playwright.sync_api import expect

from pools.models import Pool
from pools.pull.live import pool_lead_arrived, pool_lead_left
from pools.pull.selectors import row_token
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, LeadSourceFactory, PoolFactory, make_rep
from tests.pool_helpers import pooled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LIVE = """
document.addEventListener('htmx:wsOpen', () => { window.__wsOpen = true; });
window.__frames = 0;
document.addEventListener('htmx:wsAfterMessage', () => { window.__frames += 1; });
"""


def _open_pool(browser, live_url, user, pool, viewport=LAPTOP, query=""):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.add_init_script(LIVE)
    login(page, live_url, user.username, PASSWORD)
    page.goto(f"{live_url}/leads/pools/{pool.pk}/{query}")
    page.wait_for_function("window.__wsOpen === true", timeout=10_000)
    return context, page


COMPANIES = "#pool-table tbody tr td[data-label='Company']"


def test_blind_claim_next_takes_the_lead_that_matches_the_filters(browser, live_url, team):
    paid = LeadSourceFactory(name="Paid search", slug="paid_search")
    referral = LeadSourceFactory(name="Referral", slug="referral")
    pool = PoolFactory(
        team=team, name="Enterprise blind", mode=Pool.Mode.BLIND, order=Pool.Order.SCORE
    )
    # The pool's next lead by its order is Paid search / 201-1000.
    pooled(pool, source=paid, company_size="201-1000", industry="computers", score=90)
    pooled(pool, source=referral, company_size="1-10", industry="computers", score=60)
    wanted = pooled(
        pool,
        source=referral,
        company_size="1-10",
        industry="pet_shop",
        score=40,
        company="Referral Pets Ltda",
    )
    rep = make_rep(team=team)
    context, page = _open_pool(browser, live_url, rep, pool)
    expect(page.locator(".claim-next-rule")).to_have_text(
        "Claim next gives you the highest-scoring lead that matches your filters"
    )

    page.select_option("#f-source", label="Referral")
    expect(page.locator("#pool-table tbody tr")).to_have_count(2)
    page.select_option("#f-size", "1-10")
    # Typed but not yet applied: the click on Claim next applies it and claims by it.
    page.fill("#f-industry", "Pet")
    screenshot(page, "pool-blind-filters-1366")
    page.click("button.claim-next")

    page.wait_for_url(f"**/leads/{wanted.pk}/")
    assert "Referral Pets Ltda" in page.inner_text("main")
    context.close()


def test_claim_next_with_nothing_matching_says_so_until_dismissed(browser, live_url, team):
    pool = PoolFactory(team=team, name="Blind pool", mode=Pool.Mode.BLIND)
    lead = pooled(pool, industry="computers")
    rep = make_rep(team=team)
    for name, viewport in (("1366", LAPTOP), ("phone", PHONE)):
        context, page = _open_pool(browser, live_url, rep, pool, viewport, "?industry=pet")
        expect(page.locator("#pool-table h2")).to_have_text("No lead matches these filters")
        page.click("button.claim-next")
        message = page.locator("#pool-message .claim-message")
        expect(message).to_contain_text("No lead you may claim matches these filters")
        if viewport is PHONE:
            assert page.locator("button.claim-next").bounding_box()["height"] >= 44
            dismiss = message.locator("[data-dismiss]").bounding_box()
            assert dismiss["height"] >= 44 and dismiss["width"] >= 44
        screenshot(page, f"pool-blind-no-match-{name}")
        message.locator("[data-dismiss]").click()
        expect(message).to_have_count(0)
        page.click("a.clear-filters")
        expect(page.locator("#f-industry")).to_have_value("")
        expect(page.locator("#pool-table tbody tr")).to_have_count(1)
        context.close()
    lead.refresh_from_db()
    assert lead.owner is None


def test_filters_find_labels_offer_what_exists_and_say_when_nothing_matches(
    browser, live_url, team
):
    pool = PoolFactory(
        team=team,
        name="Brazil open pool",
        preview_fields=["company", "industry", "company_size", "country"],
    )
    pooled(pool, company="Acessórios Ltda", industry="car_accessories", company_size="201-1000")
    pooled(pool, company="Beleza SA", industry="health_beauty", company_size="11-50")
    pooled(pool, company="Bichos ME", industry="pet", company_size="1-10")
    rep = make_rep(team=team)
    context, page = _open_pool(browser, live_url, rep, pool)
    table = page.locator("#pool-table")
    expect(table).to_contain_text("Car accessories")
    assert "car_accessories" not in table.inner_text()
    assert page.locator("#f-size option").all_inner_texts() == ["Any", "1-10", "11-50", "201-1000"]

    for typed, found in (("health", ["Beleza SA"]), ("Pet", ["Bichos ME"])):
        page.fill("#f-industry", typed)
        page.press("#f-industry", "Enter")
        expect(page.locator(COMPANIES)).to_have_text(found)
    page.fill("#f-industry", "zzz")
    page.press("#f-industry", "Enter")
    expect(table.locator("h2")).to_have_text("No lead matches these filters")
    screenshot(page, "pool-no-match-1366")
    page.set_viewport_size(PHONE)
    screenshot(page, "pool-no-match-phone")
    page.click("a.clear-filters")
    expect(page.locator("#pool-table tbody tr")).to_have_count(3)
    expect(page.locator("#f-industry")).to_have_value("")
    context.close()


def test_two_reps_claim_one_lead_at_once_and_the_losers_message_stays(browser, live_url, team):
    pool = PoolFactory(
        team=team,
        name="Race pool",
        preview_fields=["company", "industry", "country"],
        claim_cooldown_hours=0,
    )
    target = pooled(pool, company="Contested Ltda", age_minutes=90)
    pooled(pool, company="Bystander SA", age_minutes=10)
    rep_a, rep_b = make_rep(team=team), make_rep(team=team)
    ctx_a, page_a = _open_pool(browser, live_url, rep_a, pool)
    ctx_b, page_b = _open_pool(browser, live_url, rep_b, pool)
    row = f"#pl-{row_token(pool_id=pool.pk, lead_id=target.pk)}"

    # B clicks first, but B's request is still on its way when A's claim wins and A's live
    # frame removes the row from B's page.
    held = []
    page_b.route("**/claim/", lambda route: held.append(route))
    page_b.locator(f"{row} button.claim").click()
    while not held:
        page_b.wait_for_timeout(20)
    page_a.locator(f"{row} button.claim").click()
    page_a.wait_for_url(f"**/leads/{target.pk}/")
    expect(page_b.locator(row)).to_have_count(0, timeout=1_500)
    held[0].continue_()
    message = page_b.locator("#pool-message .claim-message")
    expect(message).to_contain_text("Just taken by someone else")

    # The other order: a frame about the same lead after the answer, and an arrival that
    # re-fetches the table. The message stays.
    page_b.evaluate("document.querySelector('#pool-table').dataset.before = 'yes'")
    frames = page_b.evaluate("window.__frames")
    pool_lead_left(pool_id=pool.pk, lead_id=target.pk)
    pool_lead_arrived(pool_id=pool.pk)
    page_b.wait_for_function(f"window.__frames >= {frames + 2}")
    page_b.wait_for_function("!document.querySelector('#pool-table').dataset.before")
    # And the re-sync a reconnecting socket makes (app.js fires live-resync), once htmx
    # has settled the new table and bound its trigger.
    page_b.wait_for_timeout(300)
    page_b.evaluate("document.querySelector('#pool-table').dataset.before = 'yes'")
    page_b.evaluate("document.body.dispatchEvent(new CustomEvent('live-resync'))")
    page_b.wait_for_function("!document.querySelector('#pool-table').dataset.before")
    page_b.wait_for_timeout(500)
    expect(message).to_contain_text("Just taken by someone else")
    screenshot(page_b, "pool-race-loser-1366")
    page_b.set_viewport_size(PHONE)
    screenshot(page_b, "pool-race-loser-phone")

    # The rep's next action clears it.
    page_b.select_option("#f-sort", "newest")
    expect(message).to_have_count(0)
    ctx_a.close()
    ctx_b.close()


def test_a_preview_pool_on_a_phone_shows_the_deciding_fields_and_thumb_sized_buttons(
    browser, live_url, team
):
    source = LeadSourceFactory(name="Referral", slug="referral")
    pool = PoolFactory(
        team=team,
        name="Brazil open pool",
        preview_fields=["company", "industry", "company_size", "country", "source"],
    )
    lead = pooled(
        pool,
        company="Peças Rápidas Ltda",
        industry="car_accessories",
        company_size="201-1000",
        country="BR",
        source=source,
    )
    pooled(pool, company="Outra Empresa SA", industry="pet", company_size="1-10")
    rep = make_rep(team=team)
    context, page = _open_pool(browser, live_url, rep, pool, PHONE)
    row = page.locator(f"#pl-{row_token(pool_id=pool.pk, lead_id=lead.pk)}")
    for shown in ("Peças Rápidas Ltda", "Car accessories", "201-1000", "Brazil", "Referral"):
        expect(row.get_by_text(shown, exact=True)).to_be_visible()
    assert row.locator("button.claim").bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "pool-preview-phone")
    page.set_viewport_size(LAPTOP)
    screenshot(page, "pool-preview-1366")
    context.close()
