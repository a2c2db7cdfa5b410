"""The admin's routing rules: the list on a laptop (every column shows at 1366 px wide)
and "Test a lead" at a moment the admin picks."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from routing.models import RoutingRule
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, LeadSourceFactory, PoolFactory, UserFactory, make_rep
from tests.routing_factories import RuleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_CODES = [
    "home_decor",
    "health_beauty",
    "audio_video_electronics",
    "construction_tools_house_garden",
]


def test_the_rules_list_shows_every_column_at_laptop_width(browser, live_url, team):
    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    for n in range(4):
        RuleFactory(
            name=f"Big segments {n}: Enterprise, best skills match",
            team=team,
            method=RoutingRule.Method.SKILLS,
            conditions=[[{"field": "industry", "op": "in", "value": LONG_CODES}]],
        )
    page = browser.new_context(viewport={"width": 1366, "height": 800}).new_page()
    login(page, live_url, admin.username, PASSWORD)
    page.goto(f"{live_url}/admin/routing/routingrule/")
    table_width, room = page.evaluate(
        "[document.querySelector('#result_list').scrollWidth,"
        " document.querySelector('#changelist .results').clientWidth]"
    )
    screenshot(page, "admin-rules-1366")
    assert table_width <= room, f"the table is {table_width} px in {room} px"
    assert page.locator("#result_list th.column-decisions_link").is_visible()


def test_an_admin_tests_a_lead_by_day_after_it_fails_at_night(browser, live_url, team):
    """Issue 24, point 8: at night every rep is off, so a test ends in the pool; the admin
    picks a moment in working hours and sees who would get the lead then."""
    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    hours = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    rep = make_rep(team=team, time_zone="America/Sao_Paulo", working_hours=hours)
    pool = PoolFactory(team=team, name="Night pool")
    RuleFactory(name="Everyone", team=team, fallback=RoutingRule.Fallback.POOL, fallback_pool=pool)
    for width, height in ((1366, 768), (390, 844)):
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        login(page, live_url, admin.username, PASSWORD)
        page.goto(f"{live_url}/admin/routing/routingrule/")
        page.click("text=Test a lead")
        page.fill("#id_fields_text", "source: paid_search\ncountry: BR\nstate: SP")
        page.fill("#id_at", "2026-03-04T03:00")  # midnight in São Paulo
        page.click("input[type=submit][value=Test]")
        result = page.locator("#test-result")
        expect(result).to_contain_text("Result at Wed 2026-03-04 03:00 (UTC)")
        expect(result).to_contain_text("Placed in pool Night pool")
        expect(result).to_contain_text("Outside working hours")
        page.fill("#id_at", "2026-03-04T14:00")  # 11:00 there
        page.click("input[type=submit][value=Test]")
        expect(result).to_contain_text(f"Assigned to {rep.display_name}")
        assert page.input_value("#id_at") == "2026-03-04T14:00"  # the moment stays
        screenshot(page, f"admin-test-a-lead-{width}")
        page.context.close()


VISIBLE_FIELDS = """Array.from(document.querySelectorAll('#routingrule_form fieldset .form-row'))
  .filter((row) => row.offsetParent !== null && !row.closest('.inline-group'))
  .flatMap((row) => Array.from(row.classList).filter((c) => c.startsWith('field-')))
  .map((c) => c.slice(6))"""


def test_the_rule_form_shows_the_fields_of_the_chosen_action_and_method(browser, live_url, team):
    """Issue 24, point 10: the form shows what applies, and the chosen method's line."""
    from routing.rules.fields_used import rule_fields_used

    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    pool = PoolFactory(team=team, name="Inbound pool")
    for width, height in ((1366, 768), (390, 844)):
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        login(page, live_url, admin.username, PASSWORD)
        page.goto(f"{live_url}/admin/routing/routingrule/add/")
        explained = page.locator(".method-explained li:visible")
        for choices in (
            {"action": "assign", "method": "round_robin", "target": "team", "fallback": "skim"},
            {"action": "assign", "method": "top_performer", "target": "reps", "fallback": "pool"},
            {"action": "assign", "method": "direct", "target": "reps", "fallback": "rule"},
            {"action": "pool", "method": "direct", "target": "reps", "fallback": "rule"},
            {"action": "skim", "method": "direct", "target": "reps", "fallback": "rule"},
        ):
            for name, value in choices.items():
                if page.locator(f"#id_{name}").is_visible():
                    page.select_option(f"#id_{name}", value)
            used, _ = rule_fields_used(choices)
            shown = set(page.evaluate(VISIBLE_FIELDS)) - {"reads_as"}
            assert shown == used, (choices, shown ^ used)
            if choices["action"] == "assign":
                expect(explained).to_have_count(1)
                expect(explained).to_have_attribute("data-method", choices["method"])
            if choices["method"] == "top_performer":
                screenshot(page, f"admin-rule-form-top-performer-{width}")
        expect(page.get_by_role("heading", name="Who is eligible")).to_be_hidden()
        # A pool rule, saved as a person would: the name, the pool, save.
        page.select_option("#id_action", "pool")
        expect(page.locator(".field-pool")).to_be_visible()
        expect(page.locator(".field-method")).to_be_hidden()
        page.fill("#id_name", f"Pool rule {width}")
        page.select_option("#id_pool", str(pool.pk))
        page.select_option("#id_fallback", "skim")
        screenshot(page, f"admin-rule-form-pool-{width}")
        page.click("input[name=_save]")
        expect(page.locator(".messagelist")).to_contain_text("was added successfully")
        page.context.close()
    assert RoutingRule.objects.filter(action="pool", pool=pool).count() == 2


def test_a_misspelt_source_is_refused_with_the_one_meant(browser, live_url, team):
    """Issue 24, point 9, as the admin meets it: the form says which source was meant.
    (Saving the fixed rule is the unit tests': a second browser test that saves through
    the admin meets the live server's content-type cache from an earlier test's database.)"""
    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    LeadSourceFactory(slug="paid_search", name="Paid search")
    for width, height in ((1366, 768), (390, 844)):
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        login(page, live_url, admin.username, PASSWORD)
        page.goto(f"{live_url}/admin/routing/routingrule/add/")
        page.fill("#id_name", f"Paid {width}")
        page.select_option("#id_team", str(team.pk))
        page.fill("#id_conditions", "country = BR\nsource = paid_serch")
        page.click("input[name=_save]")
        errors = page.locator(".field-conditions .errorlist")
        expect(errors).to_contain_text(
            "Line 2 (“source = paid_serch”): “paid_serch” is not a lead source (by slug). "
            "Did you mean “paid_search”?"
        )
        expect(page.locator("#id_conditions")).to_have_value("country = BR\nsource = paid_serch")
        errors.scroll_into_view_if_needed()
        screenshot(page, f"admin-rule-form-did-you-mean-{width}")
        page.context.close()
    assert not RoutingRule.objects.exists()
