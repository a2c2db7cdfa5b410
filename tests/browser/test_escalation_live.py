"""Escalation seen by reps: a reminder arrives live, and a reassignment moves the lead from
one rep's My leads to the other's, both without a reload. The sweep runs here, in the test
process, against the live server's database; its frames travel through Redis to the
server's sockets as in production. The policy's N is one minute, the assignment
backdated past it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pools.models import Lead
from routing.engine import lead_route
from routing.escalation.sweep import escalation_sweep_run
from routing.models import SlaPolicy, SlaStep
from tests.browser.conftest import WS_OPEN, login, screenshot
from tests.factories import PASSWORD, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _my_leads(browser, live_url, user, width=1366, height=768):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.add_init_script(WS_OPEN)
    login(page, live_url, user.username, PASSWORD)
    page.goto(f"{live_url}/leads/mine/")
    page.wait_for_function("window.__wsOpen === true", timeout=10_000)
    page.evaluate("window.__sameDocument = true")
    return context, page


def _overdue_lead(team, action, **fields) -> Lead:
    policy = SlaPolicy.objects.create(name="Fast", team=team)
    SlaStep.objects.create(policy=policy, after_minutes=1, action=action)
    lead = screened_lead(team=team, **fields)
    lead_route(lead=lead)
    Lead.objects.filter(pk=lead.pk).update(assigned_at=timezone.now() - timedelta(minutes=2))
    return Lead.objects.get(pk=lead.pk)


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_a_reminder_arrives_live_on_the_reps_page(browser, live_url, team, width, height):
    ana = make_rep(team=team)
    RuleFactory(team=team)
    lead = _overdue_lead(team, SlaStep.Action.REMIND, company="Slow Poke Ltda")
    context, page = _my_leads(browser, live_url, ana, width, height)
    expect(page.locator("#lead-table")).to_contain_text("Slow Poke Ltda")
    expect(page.locator("#notification-count")).to_be_hidden()

    assert escalation_sweep_run() == {"remind": 1}

    toast = page.locator("#toasts .toast-notification")
    expect(toast).to_contain_text(f"{lead.display_name} is waiting: no touch in 1 min")
    expect(page.locator("#notification-count")).to_have_text("1")
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, f"escalation-reminder-{width}")
    page.click("a.bell")
    expect(page.locator("#notification-list")).to_contain_text("is waiting")
    screenshot(page, f"notifications-{width}")
    context.close()


def test_a_reassigned_lead_leaves_one_reps_list_and_lands_in_the_others_live(
    browser, live_url, team
):
    ana, bea = make_rep(team=team), make_rep(team=team)
    RuleFactory(team=team)
    lead = _overdue_lead(team, SlaStep.Action.REASSIGN, company="Hot Potato SA")
    first, second = (ana, bea) if lead.owner == ana else (bea, ana)
    ctx_1, page_1 = _my_leads(browser, live_url, first)
    ctx_2, page_2 = _my_leads(browser, live_url, second, 390, 844)
    expect(page_1.locator("#lead-table")).to_contain_text("Hot Potato SA")
    expect(page_2.locator("#lead-table")).not_to_contain_text("Hot Potato SA")

    assert escalation_sweep_run() == {"reassign": 1}

    expect(page_1.locator("#lead-table")).not_to_contain_text("Hot Potato SA", timeout=3_000)
    expect(page_2.locator("#lead-table")).to_contain_text("Hot Potato SA", timeout=3_000)
    expect(page_1.locator("#lead-stats")).to_contain_text("0open")
    expect(page_2.locator("#lead-stats")).to_contain_text("1open")
    expect(page_1.locator("#toasts")).to_contain_text("was taken from you")
    expect(page_2.locator("#toasts")).to_contain_text("was reassigned to you")
    assert page_1.evaluate("window.__sameDocument") is True
    assert page_2.evaluate("window.__sameDocument") is True
    screenshot(page_1, "escalation-reassigned-away-1366")
    screenshot(page_2, "escalation-reassigned-to-390")
    ctx_1.close()
    ctx_2.close()
