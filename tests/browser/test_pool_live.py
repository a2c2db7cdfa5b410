"""Two reps on the same pool, each in their own browser: live vanish/appear, calm loser."""

import pytest
from playwright.sync_api import expect

from pools.models import Pool
from pools.pull.selectors import row_token
from tests.browser.conftest import WS_OPEN, login, screenshot
from tests.factories import PASSWORD, PoolFactory, make_rep
from tests.pool_helpers import pooled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_pool(browser, live_url, user, pool):
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(WS_OPEN)
    login(page, live_url, user.username, PASSWORD)
    page.goto(f"{live_url}/leads/pools/{pool.pk}/")
    page.wait_for_function("window.__wsOpen === true", timeout=10_000)
    # Marks this document: if it survives, the page was never reloaded.
    page.evaluate("window.__sameDocument = true")
    return context, page


def test_claimed_lead_vanishes_for_the_other_rep_who_then_gets_the_calm_message(
    browser, live_url, team
):
    pool = PoolFactory(
        team=team,
        name="Inbound preview",
        mode=Pool.Mode.PREVIEW,
        preview_fields=["company", "industry", "country"],
        claim_cooldown_hours=0,
    )
    target = pooled(pool, company="Contested Ltda", age_minutes=90)
    pooled(pool, company="Bystander SA", age_minutes=10)
    rep_a, rep_b = make_rep(team=team), make_rep(team=team)
    ctx_a, page_a = _open_pool(browser, live_url, rep_a, pool)
    ctx_b, page_b = _open_pool(browser, live_url, rep_b, pool)
    row = f"#pl-{row_token(pool_id=pool.pk, lead_id=target.pk)}"
    expect(page_b.locator(row)).to_be_visible()
    stale_row = page_b.locator(row).evaluate("el => el.outerHTML")

    page_a.locator(f"{row} button.claim").click()
    page_a.wait_for_url(f"**/leads/{target.pk}/")
    assert "Contested Ltda" in page_a.inner_text("main")

    # Gone from B's page within a second, without a reload.
    expect(page_b.locator(row)).to_have_count(0, timeout=1_500)
    expect(page_b.locator("text=Bystander SA")).to_be_visible()
    assert page_b.evaluate("window.__sameDocument") is True

    # B clicked just before the push arrived: put the stale row back and click its button.
    page_b.evaluate(
        """html => { const body = document.querySelector('#pool-table tbody');
                     body.insertAdjacentHTML('afterbegin', html);
                     htmx.process(body.firstElementChild); }""",
        stale_row,
    )
    page_b.locator(f"{row} button.claim").click()
    expect(page_b.locator("#pool-message .claim-message")).to_contain_text(
        "Just taken by someone else"
    )
    expect(page_b.locator(row)).to_have_count(0)  # the stale row goes with the answer
    assert page_b.url.endswith(f"/leads/pools/{pool.pk}/")
    assert "Traceback" not in page_b.content() and "Error" not in page_b.title()
    screenshot(page_b, "pool-calm-loser")

    # A releases it: it reappears on B's page, again without a reload.
    page_a.click("text=Release to pool")
    page_a.fill("#release-reason", "Wrong language")
    page_a.click("#workspace button:has-text('Release')")
    page_a.wait_for_url("**/leads/mine/")
    expect(page_b.locator("text=Contested Ltda")).to_be_visible(timeout=2_000)
    assert page_b.evaluate("window.__sameDocument") is True
    ctx_a.close()
    ctx_b.close()


def test_blind_pool_claim_next_in_the_browser(browser, live_url, team):
    pool = PoolFactory(team=team, name="Inbound blind", mode=Pool.Mode.BLIND)
    lead = pooled(pool, company="Hidden Until Mine Ltda")
    rep = make_rep(team=team)
    context, page = _open_pool(browser, live_url, rep, pool)
    assert "Hidden Until Mine" not in page.content()
    page.click("button.claim-next")
    page.wait_for_url(f"**/leads/{lead.pk}/")
    assert "Hidden Until Mine Ltda" in page.inner_text("main")
    page.goto(f"{live_url}/leads/pools/{pool.pk}/")
    page.click("button.claim-next")
    expect(page.locator("#pool-message")).to_contain_text("empty")
    context.close()


def test_page_resyncs_its_table_when_the_live_channel_comes_back(browser, live_url, team):
    pool = PoolFactory(team=team, name="Resync pool", preview_fields=["company"])
    rep = make_rep(team=team)
    context, page = _open_pool(browser, live_url, rep, pool)
    expect(page.locator("text=Nothing waiting")).to_be_visible()
    # Arrives while the socket was down (created directly: no push reaches the page).
    pooled(pool, company="Missed While Offline")
    # app.js fires `live-resync` when the socket reopens after a drop.
    page.evaluate("document.body.dispatchEvent(new CustomEvent('live-resync'))")
    expect(page.locator("text=Missed While Offline")).to_be_visible(timeout=2_000)
    assert page.evaluate("window.__sameDocument") is True
    context.close()


def test_a_burst_of_claims_and_an_arrival_reaches_the_page_in_order(browser, live_url, team):
    """Frames of one moment leave together (one message per pool, its swaps joined): a
    burst of claims elsewhere and a release back to the pool all land on the open page."""
    from django.db import transaction

    from pools.pull.claim import pool_claim_next
    from pools.pull.release import lead_release

    pool = PoolFactory(
        team=team, name="Busy pool", preview_fields=["company"], claim_cooldown_hours=0
    )
    leads = [pooled(pool, company=f"Burst {i} Ltda", age_minutes=60 - i) for i in range(4)]
    rep_a, rep_b = make_rep(team=team), make_rep(team=team)
    context, page = _open_pool(browser, live_url, rep_b, pool)
    page.evaluate(
        "window.__frames = 0; document.body.addEventListener("
        "'htmx:wsAfterMessage', () => { window.__frames += 1; })"
    )
    for lead in leads:
        expect(page.locator(f"#pl-{row_token(pool_id=pool.pk, lead_id=lead.pk)}")).to_be_visible()

    # One transaction: its four frames are queued together at commit, so they are one
    # batch whatever the machine's speed.
    with transaction.atomic():
        first = pool_claim_next(user=rep_a, pool_id=pool.pk)
        assert first.pk == leads[0].pk
        pool_claim_next(user=rep_a, pool_id=pool.pk)
        pool_claim_next(user=rep_a, pool_id=pool.pk)
        lead_release(user=rep_a, lead_id=first.pk, reason="Wrong region")  # back in the pool

    for lead in leads[1:3]:
        expect(page.locator(f"#pl-{row_token(pool_id=pool.pk, lead_id=lead.pk)}")).to_have_count(
            0, timeout=1_500
        )
    expect(page.locator("text=Burst 0 Ltda")).to_be_visible(timeout=2_000)
    expect(page.locator("text=Burst 3 Ltda")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    # Four moves on one pool, one message.
    assert page.evaluate("window.__frames") == 1
    context.close()
