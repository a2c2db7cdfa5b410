"""What every report page shares: scope, permissions, CSV of every table, linkable filters
and a query count that does not grow with the data."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

import reports.urls  # noqa: F401  (registers the pages)
from pools.lifecycle import LeadState as S
from reports.filters import period_days
from reports.registry import report_pages
from tests.reports.fixtures import lead, world

# The reports over the shared filters (the rule replays page is of its own kind:
# tests/reports/test_simulator.py).
PAGES = [page.key for page in report_pages() if page.key != "simulations"]


def _arms():
    today = date.today()
    return {
        "compare": "periods",
        "a_start": date(today.year - 1, 1, 1).isoformat(),
        "a_end": date(today.year - 1, 1, 31).isoformat(),
        "b_start": (today - timedelta(days=30)).isoformat(),
        "b_end": today.isoformat(),
    }


def _seeded_world(key):
    """The fixture's world, plus what a page needs to show its figures: pools, offers and
    escalations of team A (tests/reports/test_pools_offers.py, test_escalations.py)."""
    from tests.reports.test_escalations import escalation_world
    from tests.reports.test_pools_offers import offer_world, pool_world
    from tests.reports.test_quotas import quota_seed

    w = world()
    seed = {
        "pools": pool_world,
        "offers": offer_world,
        "escalations": escalation_world,
        "quotas": quota_seed,
    }
    if key in seed:
        seed[key](w)
    return w


def _query(key) -> dict:
    """The A/B page needs its arms in the address; every other page shows its figures bare."""
    return _arms() if key == "ab" else {}


def _shows_team_a(key, body: str, context) -> bool:
    if key == "ab":  # arms carry no names: team A's 6 recent leads are arm B's
        return context["tables"]["arms"].rows[1]["leads"] == 6
    if key == "pools":  # pools, not reps: team A's pool
        return "Inbound" in body
    return "Ana Alves" in body


@pytest.mark.django_db
@pytest.mark.parametrize("key", PAGES)
def test_another_teams_manager_sees_none_of_this_teams_figures(key, client_for):
    w = _seeded_world(key)
    client = client_for(w.manager_b)
    theirs = client.get(reverse(f"reports:{key}"), _query(key))
    body = theirs.content.decode()
    assert "Ana Alves" not in body and "Bo Brito" not in body
    assert not _shows_team_a(key, body, theirs.context)
    for table in ("by_rep", "funnel"):
        csv_body = client.get(reverse(f"reports:{key}"), {"format": "csv", "table": table})
        assert "Ana Alves" not in csv_body.content.decode()
    assert client.get(reverse(f"reports:{key}"), {"team": w.team_a.pk}).status_code == 404
    assert client.get(reverse(f"reports:{key}"), {"team": "abc"}).status_code == 200  # message
    own = client_for(w.manager).get(reverse(f"reports:{key}"), _query(key))
    assert _shows_team_a(key, own.content.decode(), own.context)


@pytest.mark.django_db
@pytest.mark.parametrize("key", PAGES)
def test_reps_are_refused_and_post_is_not_allowed(key, client_for):
    w = world()
    assert client_for(w.ana).get(reverse(f"reports:{key}")).status_code == 403
    assert client_for(w.manager).post(reverse(f"reports:{key}")).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("key", PAGES)
def test_every_table_downloads_as_csv_with_the_pages_filters(key, client_for):
    w = world()
    client = client_for(w.manager)
    query = {"period": "custom", "start": "2020-01-01", "end": "2020-12-31"}
    page = client.get(
        reverse(f"reports:{key}"), {"period": "90d", "team": w.team_a.pk} | _query(key)
    )
    tables = page.context["tables"]
    assert tables
    for name in tables:
        assert f"period=90d&amp;team={w.team_a.pk}&amp;format=csv&amp;table={name}" in (
            page.content.decode()
        )
        response = client.get(
            reverse(f"reports:{key}"), {"format": "csv", "table": name} | query | _query(key)
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert f"{key}-{name}-2020-01-01-2020-12-31.csv" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == [
            c.label + {"share": " (%)", "seconds": " (s)"}.get(c.kind, "")
            for c in tables[name].columns
        ]


@pytest.mark.django_db
@pytest.mark.parametrize("key", PAGES)
def test_query_count_does_not_grow_with_the_data(key, client_for, queries_of):
    w = world()
    client = client_for(w.manager)
    url = reverse(f"reports:{key}")
    few = queries_of(lambda: client.get(url))
    for i in range(12):
        lead(
            team=w.team_a,
            status=S.CONTACTED,
            owner=[w.ana, w.bo][i % 2],
            assigned=i,
            touched=60 * i,
            country=f"C{i % 4}",
            score=i * 9,
            via="push",
            method="weighted",
            rule=[w.rr, w.hot, None][i % 3],
        )
    assert queries_of(lambda: client.get(url)) == few


@pytest.mark.django_db
def test_index_says_what_each_report_answers_and_keeps_the_filters(client_for):
    w = world()
    body = client_for(w.manager).get(reverse("reports:index"), {"period": "7d"}).content.decode()
    for page in report_pages():
        assert escape(page.question) in body
        assert f'href="{reverse(f"reports:{page.key}")}?period=7d"' in body


def test_periods_are_the_readers_days():
    today = date(2026, 3, 15)
    assert period_days("7d", today=today, start=None, end=None) == (date(2026, 3, 9), today)
    assert period_days("this_month", today=today, start=None, end=None) == (date(2026, 3, 1), today)
    assert period_days("last_month", today=today, start=None, end=None) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    assert period_days("last_month", today=date(2026, 1, 5), start=None, end=None) == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )
