"""An admin tries a mapped webhook's mapping on a pasted sample, at laptop and phone
width, and saves it."""

import json

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from pools.capture.webhooks.secrets import hook_create
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


def test_an_admin_tests_a_mapping_on_a_sample_then_saves_it(browser, live_url, team):
    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    source = LeadSourceFactory(name="Typeform", slug="typeform", team=team)
    hook, _ = hook_create(source=source, kind=InboundHook.Kind.MAPPED_JSON, mapping={"a": "email"})
    for width, height in ((1366, 768), (390, 844)):
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        login(page, live_url, admin.username, PASSWORD)
        page.goto(f"{live_url}/admin/pools/inboundhook/{hook.pk}/change/")
        page.click("text=Edit and test the mapping against a sample")
        page.fill("#id_mapping", json.dumps(MAPPING, indent=2))
        page.fill("#id_sample", json.dumps(SAMPLE, indent=2))
        page.click("input[name=_test]")
        heading = page.locator(".preview h2")
        expect(heading).to_contain_text(
            "This sample becomes: name Ana Maria Souza, e-mail ana@example.com, "
            "phone +5511912345678, external id sub_8f2k"
        )
        screenshot(page, f"admin-webhook-mapping-{width}")
        # Nothing wider than the screen: the page reads on a phone without sideways scroll.
        overflow = page.evaluate(
            "document.querySelector('#content-main').scrollWidth"
            " - document.querySelector('#content-main').clientWidth"
        )
        assert overflow <= 0, f"{overflow} px too wide at {width}"
        hook.refresh_from_db()
        assert hook.mapping == {"a": "email"} and not Lead.objects.exists()
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("Mapping saved.")
    hook.refresh_from_db()
    assert hook.mapping == MAPPING
