"""Rule replay pages: predicted conversion and speed on a hand-made history with known
answers, the comparison page beside each other, the per-lead table's filters and its CSV,
who may run, read and cancel, the form's messages, and query counts that do not grow."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.roles import Role
from pools.lifecycle import LeadState
from reports.simulator.predict import run_predictions
from routing.engine import lead_route
from routing.models import RoutingRule, SimulationRun
from routing.simulator.drafts import rule_set_copy_live
from routing.simulator.runs import simulation_run_create, simulation_run_execute
from tests.factories import (
    LeadFactory,
    LeadSourceFactory,
    TeamFactory,
    UserFactory,
    make_manager,
    make_rep,
)
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db
M = RoutingRule.Method
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
State = SimulationRun.State


def closed(rep, source, *, won: bool, touch_seconds: int | None, days_before: int = 10):
    at = T0 - timedelta(days=days_before)
    return LeadFactory(
        status=LeadState.WON if won else LeadState.LOST,
        owner=rep,
        team=rep.rep_profile.team,
        source=source,
        created_at=at,
        assigned_at=at,
        first_touch_at=None if touch_seconds is None else at + timedelta(seconds=touch_seconds),
        closed_at=at + timedelta(days=1),
    )


@pytest.fixture
def history(team):
    """Source S over the 180 days before T0: a won 3 of 4 (touched after 60, 120, 180 s,
    one never), b won 0 of 2 (touched after 600, 1200 s). S's rate: 3 of 6 = 0.5. A lead
    of another source and one from before the window count for nothing."""
    a, b = make_rep(team=team), make_rep(team=team)
    s, other = LeadSourceFactory(slug="s"), LeadSourceFactory(slug="other")
    for won, touch in ((True, 60), (True, 120), (True, 180), (False, None)):
        closed(a, s, won=won, touch_seconds=touch)
    for touch in (600, 1200):
        closed(b, s, won=False, touch_seconds=touch)
    closed(b, other, won=True, touch_seconds=None)  # another segment
    closed(b, s, won=True, touch_seconds=5, days_before=200)  # before the window
    return {"a": a, "b": b, "s": s}


def replayed(team, admin, draft, *, start=T0 - timedelta(hours=1), end=T0 + timedelta(days=2)):
    run = simulation_run_create(user=admin, draft=draft, start=start, end=end, team=team)
    assert simulation_run_execute(run_id=run.pk) == State.DONE
    run.refresh_from_db()
    return run


@pytest.fixture
def run(history, team, admin_user):
    """Four leads of S dealt round robin a, b, a, b; the draft gives every lead to b."""
    RuleFactory(team=team, method=M.ROUND_ROBIN, name="Round robin")
    for i in range(4):
        at = T0 + timedelta(minutes=i)
        lead_route(lead=screened_lead(team=team, source=history["s"], created_at=at), now=at)
    draft = rule_set_copy_live(name="All to b")
    draft.rules.update(method=M.DIRECT, direct_rep=history["b"], name="Straight to b")
    return replayed(team, admin_user, draft)


def test_predicted_conversion_and_speed_follow_the_smoothed_formula(run):
    p = run_predictions(run)
    rate_a = (3 + 5 * 0.5) / (4 + 5)  # 0.611
    rate_b = (0 + 5 * 0.5) / (2 + 5)  # 0.357
    assert p["really"].assigned == p["live"].assigned == p["draft"].assigned == 4
    assert p["really"].conversion == pytest.approx((rate_a + rate_b) / 2)
    assert p["live"].conversion == pytest.approx((rate_a + rate_b) / 2)
    assert p["draft"].conversion == pytest.approx(rate_b)
    assert p["draft"].expected_won == pytest.approx(4 * rate_b)
    # a's median first touch 120 s, b's 900 s (percentile_cont between 600 and 1200);
    # two leads each: the lower middle is a's.
    assert p["really"].speed == pytest.approx(120)
    assert p["draft"].speed == pytest.approx(900)
    assert p["draft"].speed_unknown == 0


def test_the_run_page_shows_the_three_placements_beside_each_other(run, client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("reports:simulation", args=[run.pk])).content.decode()
    assert "What really happened" in page and "Live rules" in page and "Draft" in page
    assert "Predicted conversion" in page and "(won + 5 × source rate)" in page
    assert "48.4%" in page  # really and live: (0.611 + 0.357) / 2
    assert "35.7%" in page  # the draft: b's rate
    assert "Gini, leads per rep" in page and "0.500" in page  # the draft: one of two has all
    assert "2 min" in page and "15 min" in page  # 120 s; 900 s
    assert "What the replay assumes" in page and "Out of office: the recorded periods" in page
    assert f"/ws/live/?simulation={run.pk}" in page
    assert "Straight to b" in page  # the draft's rule, lead by lead


def test_the_lead_table_filters_and_pages(run, client, admin_user, history):
    client.force_login(admin_user)
    url = reverse("reports:simulation", args=[run.pk])
    page = client.get(url, {"changed": "on"}).content.decode()
    assert "2 leads match the filters" in page  # a's two leads went to b in the draft
    page = client.get(url, {"rep": history["a"].pk}).content.decode()
    assert "2 leads match the filters" in page
    page = client.get(url, {"outcome": "pooled"}).content.decode()
    assert "No lead matches these filters." in page
    page = client.get(url, {"outcome": "elsewhere"}).content.decode()
    assert "elsewhere is not an outcome this table knows." in page
    # The htmx request of the filter form gets the table alone.
    fragment = client.get(
        url, {"changed": "on"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="simulation-leads"
    ).content.decode()
    assert fragment.lstrip().startswith(
        '<section class="card table-card report-table" id="simulation-leads"'
    )


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_csv_streams_every_lead_with_the_tables_filters(run, client, admin_user, history):
    client.force_login(admin_user)
    url = reverse("reports:simulation_csv", args=[run.pk])
    response = client.get(url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="replay-{run.pk}-leads.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:5] == ["lead id", "lead", "arrived (UTC)", "really went to", "live rules"]
    a = history["a"].get_full_name() or history["a"].username
    b = history["b"].get_full_name() or history["b"].username
    assert [r[3] for r in rows[1:]] == [a, b, a, b]
    assert [r[4] for r in rows[1:]] == [a, b, a, b]
    assert [r[8] for r in rows[1:]] == [b] * 4
    assert [r[9] for r in rows[1:]] == ["Straight to b"] * 4
    assert [r[12] for r in rows[1:]] == ["yes", "no", "yes", "no"]
    changed = _csv(client.get(url, {"changed": "on"}))
    assert len(changed) == 3 and {r[3] for r in changed[1:]} == {a}
    bad = client.get(url, {"rep": "nope"})
    assert bad.status_code == 400 and b"Check the filters" in bad.content


def test_managers_read_their_teams_runs_only_and_never_start_one(run, client, team):
    manager, outsider = make_manager(teams=[team]), make_manager(teams=[TeamFactory()])
    page = reverse("reports:simulation", args=[run.pk])
    client.force_login(manager)
    assert client.get(page).status_code == 200
    listing = client.get(reverse("reports:simulations")).content.decode()
    assert "All to b" in listing and "Admins start replays" in listing
    assert client.post(reverse("reports:simulations"), {}).status_code == 403
    assert client.post(reverse("reports:simulation_cancel", args=[run.pk])).status_code == 403
    client.force_login(outsider)
    assert client.get(page).status_code == 404
    assert client.get(reverse("reports:simulation_csv", args=[run.pk])).status_code == 404
    assert "All to b" not in client.get(reverse("reports:simulations")).content.decode()
    client.force_login(make_rep(team=team))
    assert client.get(page).status_code == 403


def test_staff_allowed_to_change_rules_may_start_a_replay_of_their_teams(run, client, team):
    from django.contrib.auth.models import Permission

    runner = make_manager(teams=[team])
    runner.is_staff = True
    runner.save()
    runner.user_permissions.add(Permission.objects.get(codename="change_routingrule"))
    client.force_login(runner)
    form = client.get(reverse("reports:simulations")).content.decode()
    assert "New replay" in form and "All teams" not in form  # one of their teams
    response = client.post(
        reverse("reports:simulations"),
        {"draft": run.draft_id, "first_day": "2026-11-02", "last_day": "2026-11-03"},
    )
    assert "Team: Choose one of your teams." in response.content.decode()


def test_staff_allowed_to_change_rules_but_managing_no_team_are_not_offered_a_replay(run, client):
    from django.contrib.auth.models import Permission

    from routing.simulator.selectors import simulation_may_run
    from tests.factories import UserFactory

    editor = UserFactory(is_staff=True)
    editor.user_permissions.add(
        Permission.objects.get(codename="change_routingrule"),
        Permission.objects.get(codename="view_ruleset"),
    )
    assert simulation_may_run(user=editor) is False
    client.force_login(editor)
    draft_page = client.get(reverse("admin:routing_ruleset_change", args=[run.draft_id]))
    assert draft_page.status_code == 200
    assert "Replay it on past leads" not in draft_page.content.decode()


def test_the_new_replay_form_says_what_is_wrong_and_queues_nothing(run, client, admin_user):
    client.force_login(admin_user)
    url = reverse("reports:simulations")
    before = SimulationRun.objects.count()
    page = client.post(url, {}).content.decode()
    assert "Choose the draft to replay." in page and "Give the first day of the period." in page
    page = client.post(
        url, {"draft": run.draft_id, "first_day": "2026-11-05", "last_day": "2026-11-01"}
    ).content.decode()
    assert "The period ends before it starts." in page
    page = client.post(
        url, {"draft": 999999, "first_day": "2026-11-01", "last_day": "2026-11-02"}
    ).content.decode()
    assert "That draft no longer exists" in page
    page = client.post(
        url, {"draft": run.draft_id, "first_day": "2024-01-01", "last_day": "2026-11-02"}
    ).content.decode()
    assert "Choose at most 366 days" in page
    assert SimulationRun.objects.count() == before


def test_an_admin_queues_a_replay_and_lands_on_its_page(run, client, admin_user, team):
    client.force_login(admin_user)
    response = client.post(
        reverse("reports:simulations"),
        {"draft": run.draft_id, "first_day": "2026-11-02", "last_day": "2026-11-03", "team": ""},
    )
    queued = SimulationRun.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:simulation", args=[queued.pk])
    assert queued.team is None and queued.state == State.QUEUED  # every team's leads
    page = client.get(response["Location"]).content.decode()
    assert "waiting for a worker" in page and "Cancel the replay" in page
    client.post(reverse("reports:simulation_cancel", args=[queued.pk]))
    queued.refresh_from_db()
    assert queued.state == State.CANCELLED
    csv_response = client.get(reverse("reports:simulation_csv", args=[queued.pk]))
    assert csv_response.status_code == 400


def test_the_run_page_reads_a_constant_number_of_queries(
    history, team, admin_user, client, queries_of
):
    RuleFactory(team=team, method=M.ROUND_ROBIN)
    draft = rule_set_copy_live(name="Load balanced")
    draft.rules.update(method=M.LOAD_BALANCED)

    def route(n, day):
        for i in range(n):
            at = T0 + timedelta(days=day, minutes=i)
            lead_route(lead=screened_lead(team=team, source=history["s"], created_at=at), now=at)

    route(3, 0)
    small = replayed(team, admin_user, draft, end=T0 + timedelta(days=1))
    for _ in range(3):
        make_rep(team=team)
    route(12, 1)
    big = replayed(team, admin_user, draft, end=T0 + timedelta(days=2))
    assert big.totals["live"]["leads"] == 15 and small.totals["live"]["leads"] == 3
    client.force_login(admin_user)
    sizes = [
        queries_of(lambda r=r: client.get(reverse("reports:simulation", args=[r.pk])))
        for r in (small, big)
    ]
    assert sizes[0] == sizes[1], sizes
    csv_sizes = [
        queries_of(
            lambda r=r: b"".join(
                client.get(reverse("reports:simulation_csv", args=[r.pk])).streaming_content
            )
        )
        for r in (small, big)
    ]
    assert csv_sizes[0] == csv_sizes[1], csv_sizes


def test_a_replay_of_every_team_is_an_admins_only(history, team, admin_user, client):
    RuleFactory(team=team, method=M.ROUND_ROBIN)
    draft = rule_set_copy_live(name="Everyone")
    everyone = simulation_run_create(
        user=admin_user, draft=draft, start=T0, end=T0 + timedelta(days=1), team=None
    )
    client.force_login(make_manager(teams=[team]))
    assert client.get(reverse("reports:simulation", args=[everyone.pk])).status_code == 404
    client.force_login(UserFactory(roles=[Role.ADMIN]))
    assert client.get(reverse("reports:simulation", args=[everyone.pk])).status_code == 200


def test_without_any_closed_lead_before_the_period_nothing_is_predicted(team, admin_user):
    make_rep(team=team)
    RuleFactory(team=team, method=M.ROUND_ROBIN)
    for i in range(2):
        at = T0 + timedelta(minutes=i)
        lead_route(lead=screened_lead(team=team, created_at=at), now=at)
    p = run_predictions(replayed(team, admin_user, rule_set_copy_live(name="Same")))
    assert p["draft"].assigned == 2
    assert p["draft"].conversion is None and p["draft"].expected_won is None  # not 0%
    assert p["draft"].speed is None and p["draft"].speed_unknown == 2


def test_a_drafts_admin_page_links_to_the_form_with_the_draft_chosen(run, client, admin_user):
    client.force_login(admin_user)
    admin_page = client.get(f"/admin/routing/ruleset/{run.draft_id}/change/").content.decode()
    link = f"{reverse('reports:simulations')}?draft={run.draft_id}"
    assert f'href="{link}"' in admin_page and "Replay it on past leads" in admin_page
    form = client.get(link).content.decode()
    assert f'<option value="{run.draft_id}" selected>All to b</option>' in form
