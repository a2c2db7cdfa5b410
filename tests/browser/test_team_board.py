"""The live team board in Chromium: a lead given to a rep by someone else changes the
board's counts without a reload; a rep opening a page shows as online; the manager sets a
rep away from the board. Screenshots at laptop and phone width."""

import time

import pytest
from playwright.sync_api import expect

from accounts.models import Quota, RepProfile
from pools.lifecycle import LeadState
from routing.desk.services import lead_hand_assign
from tests.browser.conftest import PHONE, open_live, screenshot
from tests.factories import LeadFactory, make_manager, make_rep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _team(team):
    reps = [
        make_rep(team=team, user__first_name=name, user__last_name="Seller", max_per_day=cap)
        for name, cap in (("Ana", 10), ("Bruno", 8), ("Carla", None))
    ]
    for i, rep in enumerate(reps):
        for k in range(i + 1):
            LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team, company=f"Co {i}{k}")
    # Quotas, so the screenshots show the Quota column's bars.
    Quota.objects.create(team=team, metric=Quota.Metric.LEADS_WORKED, period="week", target=20)
    Quota.objects.create(team=team, metric=Quota.Metric.DEALS_WON, period="month", target=5)
    return reps


def test_the_board_follows_changes_live_and_sets_a_rep_away(browser, live_url, team):
    reps = _team(team)
    manager = make_manager(teams=[team])
    waiting = LeadFactory(status=LeadState.SKIMMING, team=team, first_name="Walk-in")
    ctx_m, board = open_live(browser, live_url, manager, "/reports/team/")
    row = board.locator(f"#board-rep-{reps[1].pk}")
    expect(row.locator('[data-count="open"]')).to_have_text("2")

    # Another manager's desk gives Bruno a lead: his counts change without a reload.
    other = make_manager(teams=[team])
    lead_hand_assign(manager=other, lead_id=waiting.pk, rep_id=reps[1].pk)
    committed = time.monotonic()  # the service returns once its transaction committed
    expect(row.locator('[data-count="open"]')).to_have_text("3", timeout=1_000)
    took = time.monotonic() - committed
    assert took < 1.0, f"the board took {took:.2f} s"
    expect(row.locator('[data-count="untouched"]')).to_have_text("3")
    expect(row.locator('[data-count="today"]')).to_contain_text("1 / 8")

    # A burst (three transactions back to back): pings arriving while a re-read is in
    # flight queue one more, which must survive the swap — the board ends on the last state.
    burst = [LeadFactory(status=LeadState.SKIMMING, team=team) for _ in range(3)]
    for lead in burst:
        lead_hand_assign(manager=other, lead_id=lead.pk, rep_id=reps[0].pk)
    ana = board.locator(f"#board-rep-{reps[0].pk}")
    expect(ana.locator('[data-count="open"]')).to_have_text("4", timeout=2_000)

    # Ana opens a page: the board shows her online.
    ctx_r, _ = open_live(browser, live_url, reps[0], "/leads/mine/")
    expect(board.locator(f"#board-rep-{reps[0].pk} .presence-on")).to_be_visible(timeout=5_000)

    # The manager sets Carla away from the board, once the page is still: Ana's presence
    # pings may still have a re-read in flight, and a click landing mid-swap would hit a
    # form htmx has not wired up yet.
    board.wait_for_load_state("networkidle")
    carla = board.locator(f"#board-rep-{reps[2].pk}")
    carla.get_by_role("button", name="Set away").click()
    expect(carla.locator('[data-availability="away"]')).to_be_visible(timeout=2_000)
    expect(carla.get_by_role("button", name="Set available")).to_be_visible()
    assert RepProfile.objects.get(user=reps[2]).availability == "away"
    assert board.evaluate("window.__sameDocument") is True
    screenshot(board, "team-board-laptop")
    ctx_r.close()
    ctx_m.close()


def test_the_board_on_a_phone(browser, live_url, team):
    reps = _team(team)
    manager = make_manager(teams=[team])
    RepProfile.objects.filter(user=reps[1]).update(availability="away")
    ctx, page = open_live(browser, live_url, manager, "/reports/team/", viewport=PHONE)
    expect(page.locator(f"#board-rep-{reps[0].pk}")).to_be_visible()
    # Nothing wider than the phone: the rows stack.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "team-board-phone")
    ctx.close()


def test_on_a_laptop_every_row_shows_its_button_and_stays_compact(browser, live_url, team):
    """The busiest row the demo has: a long name, a quota of every kind, activity hours
    ago. Its Set away button once sat past the card's edge, and its quotas made the row
    four screens tall."""
    from datetime import timedelta

    from django.utils import timezone

    rep = make_rep(team=team, user__first_name="Pedro Henrique", user__last_name="da Conceição")
    LeadFactory(
        status=LeadState.ASSIGNED,
        owner=rep,
        team=team,
        assigned_at=timezone.now() - timedelta(hours=2, minutes=50),
    )
    for metric in Quota.Metric:
        for period in Quota.Period:
            Quota.objects.create(team=team, metric=metric, period=period, target=20_000)
    # The demo's widest rows: a rep's own target ("· own target") and a won value's figure.
    Quota.objects.create(
        team=team, rep=rep, metric=Quota.Metric.LEADS_WORKED, period="week", target=18
    )
    for name in ("Henry Gabriel", "Yan", "Gustavo"):
        make_rep(team=team, user__first_name=name, user__last_name="Alves da Rocha")
    LeadFactory(
        status=LeadState.WON, owner=rep, team=team, won_value=12_500, closed_at=timezone.now()
    )
    manager = make_manager(teams=[team])
    ctx, page = open_live(browser, live_url, manager, "/reports/team/")
    row = page.locator(f"#board-rep-{rep.pk}")
    screenshot(page, "team-board-1366-every-quota")
    button = row.get_by_role("button", name="Set away").bounding_box()
    card = page.locator("#team-reps").bounding_box()
    assert button["x"] + button["width"] <= card["x"] + card["width"]
    assert page.evaluate(
        "(() => { const c = document.querySelector('#team-reps');"
        " return c.scrollWidth <= c.clientWidth; })()"
    )
    won = page.locator("#team-reps th", has_text="Won").bounding_box()
    assert won["x"] + won["width"] <= card["x"] + card["width"]
    assert row.bounding_box()["height"] < 380  # eight quotas, a line or two each (was 575)
    ctx.close()
