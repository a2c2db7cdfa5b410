"""Who may see which page, for every foundation view."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pools.lifecycle import LeadState
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_login(client):
    for url in ("/", "/leads/mine/", "/reports/team/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_login_page_renders_and_bad_credentials_show_a_message(client, rep):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": rep.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_login_with_the_right_password_lands_a_rep_on_my_leads(client, rep, password):
    response = client.post(
        "/accounts/login/", {"username": rep.username, "password": password}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/leads/mine/"


def test_logout_needs_post(client_for, rep):
    client = client_for(rep)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/leads/mine/").status_code == 302


@pytest.mark.parametrize(
    ("who", "target"),
    [
        ("rep", "/leads/mine/"),
        ("manager", "/reports/team/"),
        ("admin_user", "/reports/team/"),
        ("outsider", "/accounts/no-role/"),
    ],
)
def test_home_sends_each_role_where_its_day_starts(request, client_for, who, target):
    response = client_for(request.getfixturevalue(who)).get("/")
    assert response.status_code == 302 and response["Location"] == target


def test_a_user_without_role_is_told_so(client_for, outsider):
    response = client_for(outsider).get("/accounts/no-role/")
    assert response.status_code == 403
    assert "no role yet" in response.content.decode()


def test_my_leads_lists_only_my_open_leads_untouched_first(client_for, rep, other_rep):
    touched = LeadFactory(status=LeadState.CONTACTED, owner=rep, first_touch_at=timezone.now())
    untouched = LeadFactory(status=LeadState.ASSIGNED, owner=rep)
    closed = LeadFactory(status=LeadState.WON, owner=rep)
    foreign = LeadFactory(status=LeadState.ASSIGNED, owner=other_rep)
    html = client_for(rep).get("/leads/mine/").content.decode()
    assert html.index(untouched.display_name) < html.index(touched.display_name)
    assert closed.display_name not in html and foreign.display_name not in html


def test_my_leads_won_and_lost_keeps_a_reps_closed_leads_latest_first(
    client_for, rep, other_rep, team, queries_of
):
    """Closed leads left My leads with nowhere to find them again (reps cannot search)."""
    from decimal import Decimal

    team.currency, team.number_format = "BRL", ","
    team.save()
    now = timezone.now()
    won = LeadFactory(
        status=LeadState.WON,
        owner=rep,
        team=team,
        won_value=Decimal("1234.56"),
        closed_at=now - timedelta(days=1),
    )
    lost = LeadFactory(status=LeadState.LOST, owner=rep, lost_reason="No budget", closed_at=now)
    still_open = LeadFactory(status=LeadState.ASSIGNED, owner=rep)
    foreign = LeadFactory(status=LeadState.WON, owner=other_rep, closed_at=now)
    client = client_for(rep)
    assert 'href="/leads/mine/?show=closed"' in client.get("/leads/mine/").content.decode()
    html = client.get("/leads/mine/", {"show": "closed"}).content.decode()
    assert html.index(lost.display_name) < html.index(won.display_name)
    assert "R$ 1.234,56" in html and "No budget" in html
    assert still_open.display_name not in html and foreign.display_name not in html
    fragment = client.get("/leads/mine/", {"show": "closed"}, HTTP_HX_REQUEST="true")
    assert 'hx-get="/leads/mine/?show=closed"' in fragment.content.decode()  # live, same view
    # One page's queries whatever the number of closed leads.
    few = queries_of(lambda: client.get("/leads/mine/", {"show": "closed"}))
    for _ in range(10):
        LeadFactory(status=LeadState.LOST, owner=rep, lost_reason="Gone", closed_at=now)
    assert queries_of(lambda: client.get("/leads/mine/", {"show": "closed"})) == few


def test_my_leads_htmx_request_gets_only_the_table_fragment(client_for, rep):
    LeadFactory(status=LeadState.ASSIGNED, owner=rep)
    response = client_for(rep).get("/leads/mine/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="lead-table"') and "<html" not in html


@pytest.mark.parametrize("url", ["/leads/mine/", "/reports/team/"])
def test_pages_refuse_post(client_for, rep, manager, url):
    user = rep if "mine" in url else manager
    assert client_for(user).post(url).status_code == 405


def test_managers_cannot_open_my_leads_and_reps_cannot_open_the_team_page(
    client_for, rep, manager, outsider
):
    assert client_for(manager).get("/leads/mine/").status_code == 403
    assert client_for(rep).get("/reports/team/").status_code == 403
    assert client_for(outsider).get("/reports/team/").status_code == 403


# --- lead detail: rep A cannot open rep B's lead ------------------------------------------


def test_rep_opens_own_lead_with_its_timeline(client_for, rep):
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, company="Padaria Boa")
    response = client_for(rep).get(reverse("pools:lead_detail", args=[lead.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Padaria Boa" in html and "Timeline" in html and "Created" in html


def test_rep_cannot_open_another_reps_lead(client_for, rep, other_rep):
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=other_rep)
    assert client_for(rep).get(reverse("pools:lead_detail", args=[lead.pk])).status_code == 404


def test_rep_cannot_open_a_pooled_lead_by_url(client_for, rep):
    from tests.factories import PoolFactory

    lead = LeadFactory(status=LeadState.POOLED, pool=PoolFactory())
    assert client_for(rep).get(reverse("pools:lead_detail", args=[lead.pk])).status_code == 404


def test_manager_sees_own_teams_leads_but_not_other_teams(client_for, manager, rep, other_rep):
    mine = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=rep.rep_profile.team)
    theirs = LeadFactory(
        status=LeadState.ASSIGNED, owner=other_rep, team=other_rep.rep_profile.team
    )
    client = client_for(manager)
    assert client.get(reverse("pools:lead_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("pools:lead_detail", args=[theirs.pk])).status_code == 404


def test_admin_sees_every_lead(client_for, admin_user, other_rep):
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=other_rep)
    assert (
        client_for(admin_user).get(reverse("pools:lead_detail", args=[lead.pk])).status_code == 200
    )


def test_outsider_cannot_open_leads(client_for, outsider, rep):
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep)
    assert client_for(outsider).get(reverse("pools:lead_detail", args=[lead.pk])).status_code == 403


def test_lead_detail_htmx_gets_the_timeline_fragment(client_for, rep):
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep)
    html = (
        client_for(rep)
        .get(reverse("pools:lead_detail", args=[lead.pk]), HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert html.lstrip().startswith('<ol id="timeline"')


def test_lead_detail_refuses_post(client_for, rep):
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep)
    assert client_for(rep).post(reverse("pools:lead_detail", args=[lead.pk])).status_code == 405


# --- manager home --------------------------------------------------------------------------


def test_team_page_shows_only_the_managers_teams(client_for, manager, rep, other_rep):
    LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=rep.rep_profile.team)
    html = client_for(manager).get("/reports/team/").content.decode()
    assert rep.display_name in html and other_rep.display_name not in html


def test_team_page_names_a_reps_zone_by_its_city(client_for, manager, rep):
    rep.rep_profile.time_zone = "America/Sao_Paulo"
    rep.rep_profile.save()
    html = client_for(manager).get("/reports/team/").content.decode()
    assert '<span title="America/Sao_Paulo">Sao Paulo</span>' in html


def test_team_page_routed_today_is_the_reps_own_days_routing_count(client_for, manager, rep):
    """The same definition as "Why this rep?" and the daily cap: leads routing gave the rep
    on their own day (not the reader's, and not the leads they claimed)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from routing.models import RepIntake

    rep.rep_profile.time_zone = "Pacific/Kiritimati"  # UTC+14: often another date than UTC's
    rep.rep_profile.save()
    their_day = timezone.now().astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    RepIntake.objects.create(user=rep, day=their_day, count=3)
    RepIntake.objects.create(user=rep, day=their_day - timedelta(days=1), count=9)
    LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=rep.rep_profile.team)  # claimed
    response = client_for(manager).get("/reports/team/")
    (row,) = [r for r in response.context["reps"] if r.user_id == rep.pk]
    assert row.routed_today == 3
    assert "Routed today" in response.content.decode()


def test_team_page_query_count_does_not_grow_with_reps(
    client_for, manager, team, django_assert_max_num_queries
):
    from tests.factories import make_rep

    client = client_for(manager)
    for _ in range(3):
        LeadFactory(status=LeadState.ASSIGNED, owner=make_rep(team=team), team=team)
    with django_assert_max_num_queries(13) as few:  # 12 + the quotas
        client.get("/reports/team/")
    for _ in range(20):
        LeadFactory(status=LeadState.ASSIGNED, owner=make_rep(team=team), team=team)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/reports/team/")


def test_team_page_htmx_fragment(client_for, manager):
    html = client_for(manager).get("/reports/team/", HTTP_HX_REQUEST="true").content.decode()
    # The board's contents: its live wrapper (#team-board) stays on the page.
    assert html.lstrip().startswith('<div class="page-head">')
    assert 'id="team-reps"' in html and 'id="team-board"' not in html and "<html" not in html


# --- admin ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "accounts/user",
        "accounts/team",
        "accounts/territory",
        "accounts/repprofile",
        "pools/lead",
        "pools/leadevent",
        "pools/pool",
        "pools/leadsource",
    ],
)
def test_admin_changelists_render(client_for, admin_user, rep, path):
    LeadFactory(status=LeadState.ASSIGNED, owner=rep)
    assert client_for(admin_user).get(f"/admin/{path}/").status_code == 200


def test_admin_user_page_has_the_rep_profile_inline(client_for, admin_user, rep):
    html = client_for(admin_user).get(f"/admin/accounts/user/{rep.pk}/change/").content.decode()
    assert "Team and routing" in html and "Working hours" in html


def test_admin_edits_code_lists_as_comma_separated_lines(client_for, admin_user, rep):
    from accounts.models import Territory

    c = client_for(admin_user)
    profile = rep.rep_profile
    profile.languages = ["pt", "en"]
    profile.save()
    for url in (
        f"/admin/accounts/repprofile/{profile.pk}/change/",
        f"/admin/accounts/user/{rep.pk}/change/",
    ):
        html = c.get(url).content.decode()
        assert 'value="pt, en"' in html and "[&quot;pt&quot;" not in html
    response = c.post(
        "/admin/accounts/territory/add/",
        {"name": "Southeast", "countries": " BR ", "states": "SP, RJ,, SP", "area_codes": ""},
    )
    assert response.status_code == 302
    territory = Territory.objects.get(name="Southeast")
    assert territory.countries == ["BR"] and territory.states == ["SP", "RJ"]
    assert territory.postal_prefixes == [] and territory.area_codes == []
    listing = c.get("/admin/accounts/territory/").content.decode()
    assert '<td class="field-states">SP, RJ</td>' in listing
    assert '<td class="field-area_codes">—</td>' in listing


def test_reps_cannot_use_the_admin(client_for, rep):
    assert client_for(rep).get("/admin/").status_code == 302


def test_my_leads_gives_phones_a_short_age_beside_the_long_one(client_for, rep):
    LeadFactory(
        status=LeadState.ASSIGNED, owner=rep, assigned_at=timezone.now() - timedelta(hours=30)
    )
    html = client_for(rep).get("/leads/mine/").content.decode()
    # The long form for wide screens, the pool pages' short form for phones (CSS picks).
    assert '<span class="hide-sm">1\xa0day, 6\xa0hours</span>' in html
    assert '<span class="only-sm nowrap">30 h</span>' in html


# -- times on the reader's clock ----------------------------------------------------------


def test_pages_show_times_on_the_readers_clock(client_for, rep):
    when = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, created_at=when)
    client = client_for(rep)
    url = f"/leads/{lead.pk}/"
    assert "2026-03-04 02:30" in client.get(url).content.decode()  # no cookie: UTC
    client.cookies["tz"] = "America/Sao_Paulo"  # what static/js/app.js sets
    html = client.get(url).content.decode()
    assert "2026-03-03 23:30" in html and "2026-03-04 02:30" not in html
    for bad in ("Mars/Olympus_Mons", "../../etc/passwd", ""):
        client.cookies["tz"] = bad
        response = client.get(url)
        assert response.status_code == 200 and "2026-03-04 02:30" in response.content.decode()


def test_team_page_counts_new_leads_since_the_readers_midnight(client_for, manager, rep):
    zone = zoneinfo.ZoneInfo("Asia/Tokyo")
    midnight = timezone.localtime(timezone.now(), zone).replace(hour=0, minute=0, second=0)
    team = rep.rep_profile.team
    LeadFactory(team=team, created_at=midnight + timedelta(seconds=1))
    LeadFactory(team=team, created_at=midnight - timedelta(seconds=1))  # yesterday in Tokyo
    client = client_for(manager)
    client.cookies["tz"] = "Asia/Tokyo"
    html = client.get("/reports/team/").content.decode()
    assert re.search(r'stat-n">1</span><span class="stat-l">new today', html)
