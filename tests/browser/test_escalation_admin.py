"""An admin reads a policy's plain-language summary in the list and on its form."""

import pytest
from playwright.sync_api import expect

from routing.models import SlaPolicy, SlaStep
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_the_admin_shows_what_each_policy_does(browser, live_url, team, admin_user, width, height):
    policy = SlaPolicy.objects.create(name="Inbound speed", team=team, working_hours_only=True)
    SlaStep.objects.create(policy=policy, after_minutes=15, action=SlaStep.Action.REMIND)
    SlaStep.objects.create(policy=policy, after_minutes=30, action=SlaStep.Action.REASSIGN)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    login(page, live_url, admin_user.username, PASSWORD)
    page.goto(f"{live_url}/admin/routing/slapolicy/")
    expect(page.locator("#result_list")).to_contain_text("after 15 min of working time untouched")
    screenshot(page, f"admin-sla-list-{width}")
    page.goto(f"{live_url}/admin/routing/slapolicy/{policy.pk}/change/")
    expect(page.locator(".field-summary")).to_contain_text("reassign to the next eligible rep")
    screenshot(page, f"admin-sla-form-{width}")
    context.close()
