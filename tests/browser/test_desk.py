"""The manager desk in Chromium: assign with a click and with the keyboard; the rep's My
leads and a second manager's queue follow live; screenshots at laptop and phone width."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pools.lifecycle import LeadState
from pools.models import Lead
from routing.desk.services import lead_hand_assign
from tests.browser.conftest import LAPTOP, PHONE, console_errors, open_live, screenshot
from tests.factories import LeadFactory, LeadSourceFactory, make_manager, make_rep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _queue(team, n):
    source = LeadSourceFactory(name="Web form")
    leads = []
    for i in range(n):
        lead = LeadFactory(
            status=LeadState.SKIMMING,
            team=team,
            source=source,
            company=f"Queue Co {i}",
            first_name=f"Lead{i}",
            last_name="Waiting",
            score=10 * i,
            industry="Retail",
            language="pt",
            score_breakdown=[{"name": "Company size ≥ 1000", "points": 20}],
        )
        Lead.objects.filter(pk=lead.pk).update(
            created_at=timezone.now() - timezone.timedelta(minutes=60 - i)
        )
        leads.append(lead)
    return leads


def test_a_manager_assigns_by_click_and_keyboard_and_everyone_sees_it_live(browser, live_url, team):
    leads = _queue(team, 4)
    reps = [
        make_rep(team=team, user__first_name=f"Rep{i}", user__last_name="Seller") for i in range(3)
    ]
    manager, other_manager = make_manager(teams=[team]), make_manager(teams=[team])
    ctx_m, desk = open_live(browser, live_url, manager, "/desk/")
    ctx_o, other = open_live(browser, live_url, other_manager, "/desk/")
    ctx_r, mine = open_live(browser, live_url, reps[0], "/leads/mine/")

    expect(desk.locator(f"#desk-lead-{leads[0].pk}")).to_be_visible()
    # Both desks remove the same rows (the answer and the live frame): no htmx errors.
    desk_errors, other_errors = console_errors(desk), console_errors(other)
    screenshot(desk, "desk-laptop")
    # A click on the first suggestion (load balanced: everyone at 0, the first rep).
    first = desk.locator("#desk-main .desk-rep button").first
    first.click()
    expect(desk.locator(f"#desk-lead-{leads[1].pk}")).to_be_visible()
    expect(desk.locator("#desk-main .flash-success")).to_contain_text("Lead0 Waiting")
    owner = Lead.objects.get(pk=leads[0].pk).owner
    assert owner in reps
    # The second manager's queue drops it, live, and the lead they were reading says why.
    expect(other.locator(f"#desk-row-{leads[0].pk}")).to_have_count(0, timeout=2_000)
    expect(other.locator(f"#desk-lead-{leads[0].pk}")).to_contain_text("just moved by someone else")
    # The keyboard: s skips to the next lead, k goes back, 2 assigns the second suggestion.
    # Each key once the page is still: the assign's live frame makes this desk re-read its
    # queue, and a key pressed mid-swap would click a row htmx has not wired up yet.
    desk.wait_for_timeout(300)
    desk.wait_for_load_state("networkidle")
    desk.keyboard.press("s")
    expect(desk.locator(f"#desk-lead-{leads[2].pk}")).to_be_visible()
    desk.wait_for_load_state("networkidle")
    desk.keyboard.press("k")
    expect(desk.locator(f"#desk-lead-{leads[1].pk}")).to_be_visible()
    desk.wait_for_load_state("networkidle")
    second_name = desk.locator("#desk-main .desk-rep").nth(1).locator(".strong").inner_text()
    desk.keyboard.press("2")
    expect(desk.locator("#desk-main .flash-success")).to_contain_text(second_name)
    assert Lead.objects.get(pk=leads[1].pk).owner.display_name == second_name
    expect(other.locator(f"#desk-row-{leads[1].pk}")).to_have_count(0, timeout=2_000)
    # Rep 0's My leads shows what they were given, without a reload.
    given = Lead.objects.filter(owner=reps[0]).values_list("pk", flat=True)
    for pk in given:
        expect(mine.locator(f"#my-lead-{pk}")).to_be_visible(timeout=2_000)
    assert mine.evaluate("window.__sameDocument") is True
    # Reassigned away from rep 0 by the other manager's service: it leaves their page live.
    for pk in given:
        lead_hand_assign(manager=other_manager, lead_id=pk, rep_id=reps[2].pk, reason="Leave")
        expect(mine.locator(f"#my-lead-{pk}")).to_have_count(0, timeout=2_000)
    # A lead arriving in the queue shows on the desks without a reload.
    extra = LeadFactory(status=LeadState.ASSIGNED, owner=reps[1], team=team, first_name="Back")
    from routing.desk.services import lead_send_to_skim

    lead_send_to_skim(manager=manager, lead_id=extra.pk, reason="Wrong rep")
    expect(other.locator(f"#desk-row-{extra.pk}")).to_be_visible(timeout=2_000)
    assert other.evaluate("window.__sameDocument") is True
    assert desk.evaluate("window.__sameDocument") is True
    screenshot(other, "desk-laptop-second-manager")
    assert desk_errors == [] and other_errors == []
    for ctx in (ctx_m, ctx_o, ctx_r):
        ctx.close()


def test_a_bulk_choice_in_progress_survives_a_lead_arriving_live(browser, live_url, team):
    from routing.desk.services import lead_send_to_skim

    leads = _queue(team, 3)
    reps = [
        make_rep(team=team, user__first_name=f"Rep{i}", user__last_name="Seller") for i in range(3)
    ]
    manager = make_manager(teams=[team])
    ctx, desk = open_live(browser, live_url, manager, "/desk/")
    desk.check(f"#desk-row-{leads[0].pk} input[name=leads]")
    desk.check(f"#desk-row-{leads[2].pk} input[name=leads]")
    desk.locator("details.desk-bulk summary").click()
    desk.select_option("#bulk-reps", [str(reps[1].pk), str(reps[2].pk)])
    # Another manager sends a lead back to the queue: every desk re-reads it, live.
    back = LeadFactory(status=LeadState.ASSIGNED, owner=reps[0], team=team, first_name="Back")
    lead_send_to_skim(manager=make_manager(teams=[team]), lead_id=back.pk, reason="Wrong rep")
    expect(desk.locator(f"#desk-row-{back.pk}")).to_be_visible(timeout=2_000)
    checked = desk.locator("#desk-queue input[name=leads]:checked")
    expect(checked).to_have_count(2)
    assert sorted(int(v) for v in checked.evaluate_all("els => els.map(e => e.value)")) == [
        leads[0].pk,
        leads[2].pk,
    ]
    expect(desk.locator("details.desk-bulk")).to_have_attribute("open", "")
    chosen = desk.locator("#bulk-reps option:checked").evaluate_all("els => els.map(e => e.value)")
    assert sorted(int(v) for v in chosen) == sorted([reps[1].pk, reps[2].pk])
    # A choice missing (no rep) says so in a toast and leaves the panel as it was.
    desk.select_option("#bulk-reps", [])
    desk.get_by_role("button", name="Spread round-robin").click()
    expect(desk.locator("#toasts .flash-error")).to_be_visible(timeout=2_000)
    expect(checked).to_have_count(2)
    expect(desk.locator("details.desk-bulk")).to_have_attribute("open", "")
    desk.select_option("#bulk-reps", [str(reps[1].pk), str(reps[2].pk)])
    # And the kept choice acts: spread over the two reps.
    desk.get_by_role("button", name="Spread round-robin").click()
    expect(desk.locator(f"#desk-row-{leads[0].pk}")).to_have_count(0)
    owners = {Lead.objects.get(pk=lead.pk).owner_id for lead in (leads[0], leads[2])}
    assert owners == {reps[1].pk, reps[2].pk}
    assert Lead.objects.get(pk=leads[1].pk).status == LeadState.SKIMMING
    assert desk.evaluate("window.__sameDocument") is True
    ctx.close()


def test_the_desk_on_a_phone(browser, live_url, team):
    from tests.factories import PoolFactory

    _queue(team, 3)
    PoolFactory(team=team, name="Brazil open pool")
    for i in range(3):
        make_rep(team=team, user__first_name=f"Rep{i}", user__last_name="Seller")
    manager = make_manager(teams=[team])
    ctx, page = open_live(browser, live_url, manager, "/desk/", viewport=PHONE)
    expect(page.locator("#desk-main .desk-rep").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width}px)"
    button = page.locator("#desk-main .desk-rep button").first.bounding_box()
    assert button["height"] >= 44
    # The pool's choice takes the line: a pool's name once showed as "Bra".
    assert page.locator(".desk-pool select").bounding_box()["width"] >= 250
    screenshot(page, "desk-phone")
    ctx.close()


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_the_manager_panel_on_a_lead_page(browser, live_url, team, viewport, name):
    rep = make_rep(team=team, user__first_name="Ana", user__last_name="Owner")
    make_rep(team=team, user__first_name="Bruno", user__last_name="Next")
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team, first_name="Panel")
    manager = make_manager(teams=[team])
    ctx, page = open_live(browser, live_url, manager, f"/leads/{lead.pk}/", viewport=viewport)
    page.select_option("#hand-rep", label="Bruno Next")
    page.fill("#hand-reason", "Ana is on leave")
    page.click("#workspace button:has-text('Reassign')")
    page.wait_for_url(f"**/leads/{lead.pk}/")
    expect(page.locator(".flash-success")).to_contain_text("Bruno Next")
    expect(page.locator("#timeline")).to_contain_text("Reassigned by manager")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    if viewport == PHONE:  # the rep's choice takes the line: a name once read "Bento Borg"
        assert page.locator("#hand-rep").bounding_box()["width"] >= 250
    screenshot(page, f"lead-manager-panel-{name}")
    ctx.close()


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_a_manager_reads_a_team_pool_live_and_read_only(browser, live_url, team, viewport, name):
    from pools.pull.claim import lead_claim
    from tests.factories import PoolFactory
    from tests.pool_helpers import pooled

    pool = PoolFactory(team=team, name="Inbound preview", preview_fields=["company", "country"])
    taken = pooled(pool, company="Taken Ltda", age_minutes=30)
    pooled(pool, company="Staying SA", age_minutes=20)
    rep, manager = make_rep(team=team), make_manager(teams=[team])
    ctx, page = open_live(browser, live_url, manager, f"/leads/pools/{pool.pk}/", viewport=viewport)
    expect(page.locator("text=Taken Ltda")).to_be_visible()
    expect(page.locator("button.claim")).to_have_count(0)
    expect(page.locator("a.assign-to")).to_have_count(2)
    lead_claim(user=rep, lead_id=taken.pk, pool_id=pool.pk)
    expect(page.locator("text=Taken Ltda")).to_have_count(0, timeout=2_000)
    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"pool-manager-{name}")
    page.locator("a.assign-to").first.click()
    page.wait_for_url("**/leads/*/#manager-panel")
    expect(page.locator("#manager-panel")).to_be_visible()
    ctx.close()
