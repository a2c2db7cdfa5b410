"""The admin's rules list on a laptop: every column shows at 1366 px wide."""

import pytest

from accounts.roles import Role
from routing.models import RoutingRule
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, UserFactory
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
