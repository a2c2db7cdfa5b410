"""An admin promotes a draft from its confirm page and reads the version history, on a
laptop and on a phone (the switch itself is tested in tests/routing/simulator/)."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from routing.models import RoutingRule, RuleSet, SlaPolicy
from routing.simulator.drafts import rule_set_copy_live
from routing.simulator.promote import rule_set_rollback
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, UserFactory, make_rep
from tests.routing_factories import RuleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_promotes_a_draft_and_reads_the_history(browser, live_url, team):
    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    senior = make_rep(team=team)
    inbound = RuleFactory(name="Inbound round robin", team=team, priority=10)
    RuleFactory(
        name="Enterprise leads to the senior reps",
        team=team,
        priority=1,
        target=RoutingRule.Target.REPS,
        rep_list=[senior],
        conditions=[[{"field": "company_size", "op": "in", "value": ["1000+", "201-1000"]}]],
        fallback=RoutingRule.Fallback.RULE,
        fallback_rule=inbound,
    )
    RuleFactory(name="Partner referrals", team=team, priority=5, action="skim")
    SlaPolicy.objects.create(name="Inbound first touch", team=team, rule=inbound)
    first = RuleSet.objects.live().get()
    for width, height in ((1366, 800), (390, 844)):
        draft = rule_set_copy_live(name=f"Weighted inbound {width}", user=admin)
        draft.rules.filter(name="Inbound round robin").update(method="weighted", priority=20)
        draft.rules.filter(name="Partner referrals").delete()
        RuleFactory(rule_set=draft, name="Webinar sign-ups to the pool", team=team, action="skim")
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        login(page, live_url, admin.username, PASSWORD)
        page.goto(f"{live_url}/admin/routing/ruleset/{draft.pk}/change/")
        page.get_by_role("link", name="Promote to live").click()
        expect(page.locator("h1")).to_contain_text(f"Promote “Weighted inbound {width}” to live")
        expect(page.get_by_text("Rules removed (1)")).to_be_visible()
        screenshot(page, f"rule-promote-confirm-{width}")
        page.get_by_role("button", name="Promote to live").click()
        expect(page.locator(".messagelist")).to_contain_text("is live now")
        expect(page.locator("#history")).to_contain_text(
            f"promoted from the draft “Weighted inbound {width}”"
        )
        screenshot(page, f"rule-promote-history-{width}")
        # The set it replaced: a version, read-only, to roll back to.
        replaced = RuleSet.objects.get(pk=first.pk)
        page.goto(f"{live_url}/admin/routing/ruleset/{replaced.pk}/change/")
        expect(page.get_by_role("link", name="Roll back to this version")).to_be_visible()
        expect(page.locator("#history")).to_contain_text("Replaced")
        screenshot(page, f"rule-version-history-{width}")
        page.context.close()
        # Back to the first rules (the same switch), so the phone sees the same change.
        rule_set_rollback(version=RuleSet.objects.get(pk=first.pk), user=admin)
    assert RuleSet.objects.filter(state=RuleSet.State.VERSION).count() == 2
