"""What an admin does with the rule simulator: watch a replay's progress arrive over the
websocket, then read the finished comparison — on a laptop and on a phone."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from pools.lifecycle import LeadState
from routing.engine import lead_route
from routing.models import RoutingRule, RuleSet, SimulationRun
from routing.simulator.drafts import rule_set_copy_live
from routing.simulator.runs import (
    RunProgress,
    simulation_run_carry_out,
    simulation_run_create,
    simulation_run_take,
)
from tests.browser.conftest import LAPTOP, PHONE, open_live, screenshot
from tests.factories import LeadFactory, LeadSourceFactory, PoolFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
M = RoutingRule.Method


def routed_month(team):
    """Five reps (one capped at 3 a day) with a history of won and lost leads, and 60
    leads of two sources routed round robin over the last days, a few to a pool."""
    rng = random.Random(22)
    reps = [make_rep(team=team, max_per_day=3 if i == 4 else None) for i in range(5)]
    web, fairs = LeadSourceFactory(name="Web form"), LeadSourceFactory(name="Fairs")
    start = timezone.now().replace(microsecond=0) - timedelta(days=6)
    for i, rep in enumerate(reps):  # history: each rep's own conversion and pace
        for n in range(12):
            at = start - timedelta(days=20 + n)
            LeadFactory(
                status=LeadState.WON if n < 2 + 2 * i else LeadState.LOST,
                owner=rep,
                team=team,
                source=web if n % 2 else fairs,
                created_at=at,
                assigned_at=at,
                first_touch_at=at + timedelta(minutes=3 + 9 * i + n),
                closed_at=at + timedelta(days=2),
            )
    pool = PoolFactory(team=team, name="Enterprise pool")
    RuleFactory(
        team=team,
        name="Big companies to the pool",
        action=RoutingRule.Action.POOL,
        pool=pool,
        priority=1,
        conditions=[[{"field": "company_size", "op": "equals", "value": "1000+"}]],
    )
    RuleFactory(team=team, name="Everyone else", method=M.ROUND_ROBIN, priority=2)
    for n in range(60):
        at = start + timedelta(hours=2 * n)
        lead = screened_lead(
            team=team,
            source=web if rng.random() < 0.6 else fairs,
            company_size="1000+" if n % 9 == 0 else "11-50",
            created_at=at,
        )
        lead_route(lead=lead, now=at)
    draft = rule_set_copy_live(name="Top performers first")
    draft.rules.filter(method=M.ROUND_ROBIN).update(method=M.TOP_PERFORMER)
    return start, draft


def test_admin_watches_a_replay_progress_then_reads_the_comparison(
    browser, live_url, admin_user, team
):
    start, draft = routed_month(team)
    # Queued without a task: the test plays the worker, step by step.
    run = simulation_run_create(
        user=admin_user,
        draft=draft,
        start=start - timedelta(hours=1),
        end=timezone.now(),
        team=team,
        send=False,
    )
    path = f"/reports/simulations/{run.pk}/"
    contexts = []
    pages = []
    for viewport in (LAPTOP, PHONE):
        context, page = open_live(browser, live_url, admin_user, path, viewport=viewport)
        contexts.append(context)
        pages.append(page)
        assert "waiting for a worker" in page.inner_text("#simulation-progress")
    taken = simulation_run_take(run_id=run.pk)
    progress = RunProgress(run=taken, total=120)
    progress(45, 60)
    for page in pages:
        page.wait_for_function(
            "document.querySelector('#simulation-progress [role=progressbar]')"
            ".getAttribute('aria-valuenow') === '38'",
            timeout=10_000,
        )
        assert "replaying the live rules: 45 of 120" in page.inner_text("#simulation-progress")
        assert page.evaluate("window.__sameDocument") is True
    screenshot(pages[0], "simulator-progress-1366")
    screenshot(pages[1], "simulator-progress-390")
    # The replays run and the results are kept; the pages hear the end and re-read.
    assert simulation_run_carry_out(run=taken) == SimulationRun.State.DONE
    for page in pages:
        page.wait_for_selector("#simulation-compare", timeout=15_000)
        assert page.evaluate("window.__sameDocument") is True
        text = page.inner_text("#simulation-body")
        assert "Predicted conversion" in text and "Lead by lead" in text
        assert "Cancel the replay" not in text
    screenshot(pages[0], "simulator-done-1366")
    screenshot(pages[1], "simulator-done-390")
    for page, width in zip(pages, (1366, 390), strict=True):
        page.goto(f"{live_url}/reports/simulations/")
        assert "Top performers first" in page.inner_text(".simulation-runs")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"simulator-list-{width}")
    for context in contexts:
        context.close()


@pytest.fixture
def empty_celery_queue():
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("celery")
    yield
    broker.delete("celery")


@pytest.mark.worker
def test_an_admin_tries_a_rule_change_safely_from_draft_to_rollback(
    browser, team, empty_celery_queue
):
    """Copy the live rules into a draft, change its method in the admin, replay the last
    days, watch the progress, read the comparison, promote the draft, roll back."""
    from playwright.sync_api import expect

    from accounts.roles import Role
    from tests.browser.conftest import WS_OPEN, login
    from tests.factories import PASSWORD, UserFactory
    from tests.servers import asgi_server, celery_worker

    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    reps = [make_rep(team=team, weight=w) for w in (1, 1, 4)]
    RuleFactory(team=team, name="Inbound round robin", method=M.ROUND_ROBIN)
    now = timezone.now().replace(microsecond=0)
    for n in range(24):  # the last two days, dealt a, b, c, a, …
        at = now - timedelta(days=2) + timedelta(hours=2 * n)
        lead_route(lead=screened_lead(team=team, created_at=at), now=at)
    # A server of its own: the admin's change log names content types by id, and the
    # session's server cached them before an earlier test's flush renumbered them.
    with asgi_server() as live_url:
        context = browser.new_context(viewport=LAPTOP)
        page = context.new_page()
        page.add_init_script(WS_OPEN)
        login(page, live_url, admin.username, PASSWORD)
        # 1. A draft: the live rules copied.
        page.goto(f"{live_url}/admin/routing/ruleset/")
        page.get_by_role("link", name="Copy the live rules into a new draft").click()
        page.get_by_label("Name").fill("Weighted Inbound")
        page.get_by_role("button", name="Copy").click()
        expect(page.locator("h1")).to_contain_text("Rules of “Weighted Inbound” — draft")
        # 2. Its rule's method changed with the rule's own form.
        page.get_by_role("link", name="Inbound round robin").click()
        page.select_option("#id_method", "weighted")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
        draft = RuleSet.objects.get(name="Weighted Inbound")
        assert draft.rules.get().method == M.WEIGHTED
        assert RoutingRule.objects.live().get().method == M.ROUND_ROBIN
        # 3. A replay of the last three days, queued (no worker yet), from the draft's page.
        page.goto(f"{live_url}/admin/routing/ruleset/{draft.pk}/change/")
        page.get_by_role("link", name="Replay it on past leads").click()
        expect(page.locator("#id_draft")).to_have_value(str(draft.pk))
        today = timezone.localdate()
        page.fill("#id_first_day", (today - timedelta(days=3)).isoformat())
        page.fill("#id_last_day", today.isoformat())
        page.select_option("#id_team", str(team.pk))
        page.get_by_role("button", name="Replay").click()
        expect(page.locator("h1")).to_have_text("Replay: Weighted Inbound")
        expect(page.locator("#simulation-progress")).to_contain_text("waiting for a worker")
        page.wait_for_function("window.__wsOpen === true", timeout=10_000)
        page.evaluate("window.__sameDocument = true")
        # 4. A worker takes it; the page follows over its socket, then reads the results.
        with celery_worker("celery"):
            page.wait_for_selector("#simulation-compare", timeout=60_000)
        assert page.evaluate("window.__sameDocument") is True
        expect(page.locator("#simulation-progress")).to_contain_text("Done")
        figures = page.locator("#simulation-compare")
        expect(figures).to_contain_text("What really happened")
        expect(figures).to_contain_text("Predicted conversion")
        expect(page.locator("#simulation-leads")).to_contain_text("24 leads")
        run = SimulationRun.objects.get()
        assert run.state == SimulationRun.State.DONE and run.totals["live"]["leads"] == 24
        assert run.totals["live"]["same_as_recorded"] == 24  # the live rules reproduce it
        screenshot(page, "simulator-e2e-comparison-1366")
        # 5. Only the changed leads, then their CSV.
        page.check("#id_changed")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#simulation-leads")).to_contain_text("match the filters")
        with page.expect_download() as download:
            page.locator("#simulation-leads .csv-link").click()
        lines = open(download.value.path(), encoding="utf-8-sig").read().splitlines()
        assert lines[0].startswith("lead id,lead,arrived (UTC),really went to")
        assert len(lines) - 1 == run.totals["changed"] > 0
        # Weights 1, 1, 4: the third rep gets two thirds of the draft's leads.
        assert run.totals["draft"]["per_rep"] == {
            str(reps[0].pk): 4,
            str(reps[1].pk): 4,
            str(reps[2].pk): 16,
        }
        # 6. Convinced: promote the draft from its page, in one click after the diff.
        first_live = RuleSet.objects.live().get()
        page.goto(f"{live_url}/admin/routing/ruleset/{draft.pk}/change/")
        page.get_by_role("link", name="Promote to live").click()
        expect(page.locator("h1")).to_contain_text("Promote “Weighted Inbound” to live")
        page.get_by_role("button", name="Promote to live").click()
        expect(page.locator(".messagelist")).to_contain_text("is live now")
        assert RuleSet.objects.live().get().pk == draft.pk
        assert RoutingRule.objects.live().get().method == M.WEIGHTED
        screenshot(page, "simulator-e2e-promoted-1366")
        # 7. Changed their mind: roll back to the version the promotion left.
        page.goto(f"{live_url}/admin/routing/ruleset/{first_live.pk}/change/")
        page.get_by_role("link", name="Roll back to this version").click()
        page.get_by_role("button", name="Roll back to this version").click()
        expect(page.locator(".messagelist")).to_contain_text("is live now")
        assert RuleSet.objects.live().get().pk == first_live.pk
        assert RoutingRule.objects.live().get().method == M.ROUND_ROBIN
        assert RuleSet.objects.get(pk=draft.pk).state == RuleSet.State.VERSION
        # The kept replay still reads as it was run.
        page.goto(f"{live_url}/reports/simulations/{run.pk}/")
        expect(page.locator("h1")).to_have_text("Replay: Weighted Inbound")
        expect(page.locator("#simulation-compare")).to_contain_text("Predicted conversion")
        context.close()
