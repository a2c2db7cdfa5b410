"""An admin copies the live rules into a draft and opens the draft's rules, on a laptop
and on a phone. (Editing a draft's rule is the rule form's own, tested with the test
client in tests/routing/simulator/test_drafts.py: a save through the admin writes its
change log with content-type ids the server process cached before an earlier test's
flush renumbered them.)"""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from routing.models import RuleSet
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, UserFactory
from tests.routing_factories import RuleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_copies_the_live_rules_into_a_draft(browser, live_url, team):
    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    RuleFactory(name="Inbound round robin", team=team)
    for width, height in ((1366, 800), (390, 844)):
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        login(page, live_url, admin.username, PASSWORD)
        page.goto(f"{live_url}/admin/routing/ruleset/")
        page.get_by_role("link", name="Copy the live rules into a new draft").click()
        page.get_by_label("Name").fill(f"Weighted Inbound {width}")
        screenshot(page, f"rule-draft-copy-{width}")
        page.get_by_role("button", name="Copy").click()
        expect(page.locator("h1")).to_contain_text(
            f"Rules of “Weighted Inbound {width}” — draft: no lead is routed by them"
        )
        expect(page.get_by_role("link", name="Inbound round robin")).to_be_visible()
        screenshot(page, f"rule-draft-rules-{width}")
        page.goto(f"{live_url}/admin/routing/ruleset/")
        # The live set and every draft so far, one rule each.
        expect(page.get_by_role("link", name="1 rule", exact=True)).to_have_count(
            {1366: 2, 390: 3}[width]
        )
        screenshot(page, f"rule-sets-{width}")
        page.context.close()
    assert RuleSet.objects.filter(state=RuleSet.State.DRAFT).count() == 2
