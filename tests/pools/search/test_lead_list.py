"""The manager's lead list: whose leads it shows, search and filters, pages in constant
queries, and who may open it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.search.selectors import leads_search
from tests.factories import (
    LeadFactory,
    LeadSourceFactory,
    PoolFactory,
    TeamFactory,
    make_manager,
    make_rep,
)

pytestmark = pytest.mark.django_db

URL = "/leads/"


def lead(**fields):
    return LeadFactory(**fields)


@pytest.fixture
def cast(team, other_team, rep, other_rep):
    """Leads of this team, and of the other team (one held by this team's rep)."""
    now = timezone.now()
    web = LeadSourceFactory(name="Website", team=team)
    fair = LeadSourceFactory(name="Trade fair", team=team)
    return {
        "ana": lead(
            team=team,
            first_name="Ana",
            last_name="Souza",
            email="ana.souza@acme.test",
            phone="+5511912345678",
            company="Acme Ltda",
            source=web,
            created_at=now - timedelta(hours=3),
        ),
        "bruno": lead(
            team=team,
            first_name="Bruno",
            last_name="Lima",
            email="bruno@globex.test",
            company="Globex",
            source=fair,
            status=LeadState.ASSIGNED,
            owner=rep,
            created_at=now - timedelta(hours=2),
        ),
        "carla": lead(
            team=team,
            first_name="Carla",
            last_name="Dias",
            email="carla@initech.test",
            status=LeadState.CONTACTED,
            owner=rep,
            created_at=now - timedelta(hours=1),
        ),
        "other": lead(
            team=other_team,
            first_name="Otto",
            last_name="Secret",
            email="otto@other.test",
            status=LeadState.ASSIGNED,
            owner=other_rep,
        ),
        # Another team's lead that this team's rep holds: the lead's team decides the scope.
        "dora": lead(
            team=other_team,
            first_name="Dora",
            email="dora@other.test",
            status=LeadState.ASSIGNED,
            owner=rep,
            created_at=now - timedelta(minutes=30),
        ),
        "web": web,
        "fair": fair,
    }


def names(leads):
    return [x.first_name for x in leads]


# --- scope ------------------------------------------------------------------------------


def test_a_manager_sees_their_teams_leads_newest_first(manager, cast):
    assert names(leads_search(user=manager)) == ["Carla", "Bruno", "Ana"]


def test_test_leads_are_left_out_for_managers_and_admins(manager, admin_user, team, cast):
    # An ad platform's "send test data": rejected by screening, nobody's work.
    lead(team=team, first_name="Tess", status=LeadState.REJECTED, is_test=True)
    assert names(leads_search(user=manager)) == ["Carla", "Bruno", "Ana"]
    assert "Tess" not in names(leads_search(user=admin_user, text="Tess"))
    assert names(leads_search(user=manager, state=LeadState.REJECTED)) == []


def test_a_manager_of_another_team_sees_none_of_this_teams_leads(other_team, cast):
    stranger = make_manager(teams=[other_team])
    assert names(leads_search(user=stranger)) == ["Otto", "Dora"]
    assert names(leads_search(user=make_manager(teams=[TeamFactory()]))) == []


def test_an_admin_sees_every_lead(admin_user, cast):
    lead(first_name="Nobody")  # no team, no owner
    assert set(names(leads_search(user=admin_user))) == {
        "Ana",
        "Bruno",
        "Carla",
        "Dora",
        "Otto",
        "Nobody",
    }


def test_the_list_opens_only_for_managers_and_admins(
    manager, admin_user, rep, outsider, client_for, client
):
    assert client_for(manager).get(URL).status_code == 200
    assert client_for(admin_user).get(URL).status_code == 200
    # A rep's leads are "My leads"; the owner and team filters are a manager's.
    assert client_for(rep).get(URL).status_code == 403
    assert client_for(outsider).get(URL).status_code == 403
    assert client.get(URL).status_code == 302
    assert client_for(manager).post(URL).status_code == 405


def test_every_row_links_to_a_lead_page_the_manager_may_open(manager, client_for, cast):
    client = client_for(manager)
    page = client.get(URL).content.decode()
    for key in ("ana", "bruno", "carla"):
        url = reverse("pools:lead_detail", args=[cast[key].pk])
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200
    assert "Otto" not in page and "otto@other.test" not in page
    # Nor the other team's lead their rep holds: its page does not open for them either.
    assert "dora@other.test" not in page
    assert client.get(reverse("pools:lead_detail", args=[cast["dora"].pk])).status_code == 404


def test_a_blind_pool_lead_shows_only_to_managers_who_may_open_it(
    team, manager, other_team, client_for
):
    blind = PoolFactory(team=team, mode="blind")
    hidden = lead(
        team=team,
        first_name="Blindy",
        email="blindy@hidden.test",
        status=LeadState.POOLED,
        pool=blind,
        pooled_at=timezone.now(),
    )
    # The team's manager opens it on the lead page, so the list may show it.
    assert (
        client_for(manager).get(reverse("pools:lead_detail", args=[hidden.pk])).status_code == 200
    )
    assert "blindy@hidden.test" in client_for(manager).get(URL).content.decode()
    stranger = client_for(make_manager(teams=[other_team]))
    page = stranger.get(URL, {"q": "blindy"}).content.decode()
    assert "Blindy" not in page and "blindy@hidden.test" not in page


# --- search and filters -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ana", ["Ana"]),
        ("SOUZA", ["Ana"]),
        ("ana souza", ["Ana"]),
        ("globex.test", ["Bruno"]),
        ("acme", ["Ana"]),
        ("(11) 91234-5678", ["Ana"]),
        ("+55 11 91234 5678", ["Ana"]),
        ("91234", ["Ana"]),
        ("lima souza", []),
        ("otto", []),
    ],
)
def test_search_matches_name_email_company_and_phone_digits(manager, cast, text, expected):
    assert names(leads_search(user=manager, text=text)) == expected


def test_a_phone_typed_with_its_trunk_zero_is_found(manager, team):
    lead(team=team, first_name="Eve", phone="+442079460958")
    assert names(leads_search(user=manager, text="020 7946 0958")) == ["Eve"]


def test_filters_by_state_owner_source_and_team(manager, rep, team, cast):
    assert names(leads_search(user=manager, state=LeadState.ASSIGNED)) == ["Bruno"]
    assert names(leads_search(user=manager, owner=rep)) == ["Carla", "Bruno"]
    assert names(leads_search(user=manager, source=cast["fair"])) == ["Bruno"]
    assert names(leads_search(user=manager, team=team)) == ["Carla", "Bruno", "Ana"]
    assert names(leads_search(user=manager, owner=rep, text="carla")) == ["Carla"]


def test_the_page_filters_and_keeps_what_was_typed(manager, rep, client_for, cast):
    page = (
        client_for(manager)
        .get(URL, {"q": "souza", "state": "new", "owner": "", "source": cast["web"].pk})
        .content.decode()
    )
    assert "Ana Souza" in page and "Bruno" not in page
    assert 'value="souza"' in page
    assert f'<option value="{cast["web"].pk}" selected>' in page
    assert '<option value="new" selected>' in page


def test_an_empty_result_says_so_with_a_clear_filters_link(manager, client_for, cast):
    page = client_for(manager).get(URL, {"q": "nobody-by-this-name"}).content.decode()
    assert "No lead matches these filters" in page
    assert f'<a href="{URL}">Clear filters</a>' in page


@pytest.mark.parametrize(
    "params",
    [{"owner": "999999"}, {"owner": "abc"}, {"state": "sleeping"}, {"team": "x"}, {"q": "x" * 300}],
)
def test_bad_filters_are_explained_not_a_500(manager, client_for, cast, params):
    response = client_for(manager).get(URL, params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Check the filters" in page and "Ana Souza" not in page


def test_another_teams_rep_is_not_a_filter_choice(manager, other_rep, client_for, cast):
    page = client_for(manager).get(URL, {"owner": other_rep.pk}).content.decode()
    assert "Check the filters" in page and "Otto" not in page
    assert other_rep.display_name not in page


def test_htmx_gets_only_the_results(manager, client_for, cast):
    response = client_for(manager).get(URL, {"q": "ana"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    # One URL, two bodies: caches (the browser's "Back") must keep them apart.
    assert "HX-Request" in response["Vary"]
    assert 'id="lead-results"' in html and "<html" not in html and "Ana Souza" in html
    assert 'id="lead-filters"' not in html


# --- pages ------------------------------------------------------------------------------


def test_pages_cost_the_same_queries_whatever_the_number_of_leads(
    team, manager, client_for, django_assert_max_num_queries
):
    client = client_for(manager)
    reps = [make_rep(team=team) for _ in range(3)]
    source = LeadSourceFactory(team=team)

    def queries(url, params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    for r in reps:
        lead(team=team, source=source, status=LeadState.ASSIGNED, owner=r)
    few = queries(URL, {})
    for i in range(60):
        lead(team=team, source=source, status=LeadState.ASSIGNED, owner=reps[i % 3])
    assert queries(URL, {}) == few
    assert queries(URL, {"page": 2}) == few
    assert queries(URL, {"owner": reps[0].pk, "page": 1}) == queries(URL, {"owner": reps[1].pk})
    with django_assert_max_num_queries(12):
        client.get(URL, {"page": 3, "q": "a"})


def test_pages_go_newest_to_oldest_keeping_the_filters(team, manager, rep, client_for):
    now = timezone.now()
    for i in range(30):
        lead(team=team, first_name=f"P{i:02d}", created_at=now - timedelta(minutes=i))
    client = client_for(manager)
    first = client.get(URL, {"q": "p"}).content.decode()
    assert "30 leads · page 1 of 2" in first and "P00" in first and "P29" not in first
    assert 'href="?q=p&amp;page=2"' in first
    second = client.get(URL, {"q": "p", "page": 2}).content.decode()
    assert "P29" in second and "P00" not in second and 'href="?q=p&amp;page=1"' in second
    assert client.get(URL, {"page": "abc"}).status_code == 200


def test_the_team_page_links_each_rep_to_their_leads(manager, rep, client_for):
    page = client_for(manager).get(reverse("reports:team")).content.decode()
    assert f'href="{URL}?owner={rep.pk}"' in page
    assert f'<a href="{URL}">search all</a>' in page


def test_the_managers_navigation_has_the_lead_list(manager, rep, client_for):
    assert f'href="{URL}"' in client_for(manager).get(reverse("reports:team")).content.decode()
    assert f'href="{URL}"' not in client_for(rep).get(reverse("pools:my_leads")).content.decode()
