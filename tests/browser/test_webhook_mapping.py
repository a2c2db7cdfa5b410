"""An admin adds a mapped JSON webhook, sees its secret once, tries the mapping on a pasted
sample and saves it — at laptop and at phone width.

One test on purpose: the flush between transactional tests recreates content types, and
the live server (this process) then logged the admin's next change against a stale one."""

import json

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from pools.models import InboundHook, Lead
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, LeadSourceFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = {
    "submission": {"id": "sub_8f2k"},
    "contact": {
        "name": "Ana Maria Souza",
        "emails": [{"value": "Ana@Example.com"}],
        "phones": [{"number": "+55 11 91234-5678"}],
    },
    "answers": {"seats": 12, "how_did_you_hear": "A friend who uses it every day"},
}
MAPPING = {
    "submission.id": "external_id",
    "contact.name": "full_name",
    "contact.emails.0.value": "email",
    "contact.phones.0.number": "phone",
    "answers.seats": "attributes.seats",
    "answers.how_did_you_hear": "attributes.heard_from",
}


def _no_sideways_scroll(page, width: int) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{overflow} px too wide at {width}"


def test_an_admin_adds_a_webhook_then_tests_and_saves_its_mapping(browser, live_url, team):
    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    source = LeadSourceFactory(name="Typeform", slug="typeform", team=team)
    for width, height in ((1366, 768), (390, 844)):
        InboundHook.objects.all().delete()
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        login(page, live_url, admin.username, PASSWORD)
        page.goto(f"{live_url}/admin/pools/inboundhook/add/")
        page.select_option("#id_source", str(source.pk))
        page.select_option("#id_kind", "mapped_json")
        page.fill("#id_mapping", '{"email": "email"}')
        page.click("input[name=_save]")
        secret = page.locator("#hook-secret").input_value()
        address = page.locator("#hook-address").input_value()
        assert secret.startswith("lrw_") and address.endswith("/api/hooks/json/typeform")
        screenshot(page, f"admin-webhook-secret-{width}")
        _no_sideways_scroll(page, width)

        page.click("text=Done — back to the webhook")
        expect(page.locator("body")).not_to_contain_text(secret)
        expect(page.locator(".object-tools")).to_contain_text("Rotate the secret")
        screenshot(page, f"admin-webhook-change-{width}")
        page.click("text=Edit and test the mapping against a sample")
        page.fill("#id_mapping", json.dumps(MAPPING, indent=2))
        page.fill("#id_sample", json.dumps(SAMPLE, indent=2))
        page.click("input[name=_test]")
        expect(page.locator(".preview h2")).to_contain_text(
            "This sample becomes: name Ana Maria Souza, e-mail ana@example.com, "
            "phone +5511912345678, external id sub_8f2k"
        )
        screenshot(page, f"admin-webhook-mapping-{width}")
        _no_sideways_scroll(page, width)
        hook = InboundHook.objects.get()
        assert hook.mapping == {"email": "email"} and not Lead.objects.exists()
        page.click("input[name=_save]")
        expect(page.locator(".messagelist")).to_contain_text("Mapping saved.")
        hook.refresh_from_db()
        assert hook.mapping == MAPPING
