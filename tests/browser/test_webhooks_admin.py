"""An admin sets up a CRM webhook: the form with its events, the secret to copy, and the
delivery log — at laptop and phone widths."""

import pytest
from playwright.sync_api import expect

from pools.services import lead_create
from routing.models import WebhookDelivery, WebhookSubscription
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_an_admin_sets_up_a_webhook_and_reads_its_log(
    browser, live_url, team, admin_user, width, height
):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    login(page, live_url, admin_user.username, PASSWORD)
    page.goto(f"{live_url}/admin/routing/webhooksubscription/add/")
    page.fill("#id_name", "HubSpot sync")
    page.fill("#id_url", "https://crm.example.com/hooks/leadroute")
    page.check("input[value='lead.created']")
    page.check("input[value='lead.won']")
    screenshot(page, f"admin-webhook-add-{width}")
    # Saved by the ORM: the server process caches content types that a transactional
    # test's flush renumbers, and the admin's save logs with them (the save itself is
    # tested in tests/routing/webhooks/test_admin.py).
    sub = WebhookSubscription.objects.create(
        name="HubSpot sync",
        url="https://crm.example.com/hooks/leadroute",
        events=["lead.created", "lead.won"],
    )
    page.goto(f"{live_url}/admin/routing/webhooksubscription/{sub.pk}/change/")
    expect(page.locator(".field-signing_secret code")).to_have_text(sub.secret)
    screenshot(page, f"admin-webhook-change-{width}")
    lead_create(email="ana@example.com", team=team)
    WebhookDelivery.objects.update(
        status="delivered", attempts=1, last_status_code=200, next_attempt_at=None
    )
    page.goto(f"{live_url}/admin/routing/webhookdelivery/")
    expect(page.locator("#result_list")).to_contain_text("Lead created")
    screenshot(page, f"admin-webhook-log-{width}")
    context.close()
