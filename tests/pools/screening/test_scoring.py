"""Scoring, qualification, the Unqualified page and its override."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent, ScoringRule
from pools.screening.services import lead_override_rejection, lead_screen
from pools.services import LeadChanged
from tests.factories import LeadFactory, LeadSourceFactory, TeamFactory, make_manager

pytestmark = pytest.mark.django_db
Op = ScoringRule.Operator


@pytest.fixture
def rules(source):
    ScoringRule.objects.create(
        name="Big company", field="company_size", operator=Op.GTE, value="1000", points=20
    )
    ScoringRule.objects.create(
        name="Website", field="source", operator=Op.EQUALS, value="website", points=15
    )
    ScoringRule.objects.create(
        name="Brazil", field="country", operator=Op.IN, value="br, pt", points=5
    )
    ScoringRule.objects.create(
        name="Has budget", field="attributes.budget", operator=Op.GT, value="5000", points=10
    )
    ScoringRule.objects.create(
        name="Off", field="country", operator=Op.IS_SET, value="", points=100, is_active=False
    )
    other = LeadSourceFactory()
    ScoringRule.objects.create(
        name="Other source only", field="country", operator=Op.IS_SET, points=50, source=other
    )


def new_lead(source, **fields):
    return LeadFactory(source=source, team=source.team, **fields)


def test_score_adds_matching_rules_and_keeps_breakdown(source, rules):
    lead = lead_screen(
        lead=new_lead(
            source, company_size="1000-5000", country="BR", attributes={"budget": "12,000"}
        )
    )
    lead.refresh_from_db()
    assert lead.status == LeadState.SCREENED
    assert lead.score == 20 + 15 + 5 + 10
    assert [(p["name"], p["points"]) for p in lead.score_breakdown] == [
        ("Big company", 20),
        ("Website", 15),
        ("Brazil", 5),
        ("Has budget", 10),
    ]


def test_small_band_does_not_match_big_company_rule(source, rules):
    lead = lead_screen(lead=new_lead(source, company_size="11-50", country="US"))
    assert lead.score == 15


def test_below_threshold_is_rejected_with_reason(source, rules):
    source.qualification_threshold = 30
    source.save()
    lead = lead_screen(lead=new_lead(source, company_size="11-50", country="BR"))
    lead.refresh_from_db()
    assert lead.status == LeadState.REJECTED and lead.score == 20
    assert "below Website's threshold 30" in lead.rejection_reason
    assert lead.events.filter(to_state=LeadState.REJECTED).exists()


def test_screen_is_idempotent(source, rules):
    lead = lead_screen(lead=new_lead(source))
    assert lead_screen(lead=lead) is lead
    assert lead.events.filter(to_state=LeadState.SCREENED).count() == 1


def test_screen_query_count_does_not_grow_with_rules(source, rules, queries_of):
    def screen_with(more_rules: int) -> int:
        for i in range(more_rules):
            ScoringRule.objects.create(
                name=f"r{i}", field="title", operator=Op.CONTAINS, value="head", points=1
            )
        lead = Lead.objects.select_related("source").get(pk=new_lead(source).pk)
        return queries_of(lambda: lead_screen(lead=lead))

    # The rules (one query, however many), the conditional UPDATE with its event.
    assert screen_with(0) == 2
    assert screen_with(20) == 2


@pytest.mark.parametrize(
    "field, operator, value",
    [("nope", Op.EQUALS, "x"), ("company_size", Op.GTE, "big"), ("country", Op.EQUALS, "")],
)
def test_scoring_rule_validation(field, operator, value):
    with pytest.raises(ValidationError):
        ScoringRule(name="r", field=field, operator=operator, value=value, points=1).full_clean()


@pytest.fixture
def rejected(source):
    return new_lead(source, status=LeadState.REJECTED, rejection_reason="Unqualified: low", score=3)


def test_manager_sees_own_teams_unqualified_only(manager, client_for, rejected, other_team):
    elsewhere = LeadFactory(status=LeadState.REJECTED, team=other_team, company="Elsewhere Ltd")
    response = client_for(manager).get("/leads/unqualified/")
    assert response.status_code == 200
    html = response.content.decode()
    assert rejected.display_name in html and "Unqualified: low" in html
    assert elsewhere.display_name not in html
    assert "<html" in html


def test_unqualified_htmx_gives_fragment(manager, client_for, rejected):
    response = client_for(manager).get("/leads/unqualified/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="unqualified-table"' in html and "<html" not in html


def test_unqualified_is_for_managers_only(rep, outsider, client_for, admin_user):
    assert client_for(rep).get("/leads/unqualified/").status_code == 403
    assert client_for(outsider).get("/leads/unqualified/").status_code == 403
    assert Client().get("/leads/unqualified/").status_code == 302
    assert client_for(admin_user).get("/leads/unqualified/").status_code == 200
    assert client_for(admin_user).post("/leads/unqualified/").status_code == 405


def test_unqualified_query_count_is_constant(
    manager, client_for, source, django_assert_max_num_queries
):
    client = client_for(manager)
    for _ in range(3):
        new_lead(source, status=LeadState.REJECTED)
    with django_assert_max_num_queries(8) as few:
        client.get("/leads/unqualified/")
    for _ in range(30):
        new_lead(source, status=LeadState.REJECTED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/leads/unqualified/")


def test_override_sends_lead_back_into_routing(
    manager, client_for, rejected, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(f"/leads/{rejected.pk}/override/")
    assert response.status_code == 302
    rejected.refresh_from_db()
    # Screened by the override, then routed by the intake task to the team default pool.
    assert rejected.status == LeadState.POOLED and rejected.rejection_reason == ""
    override = rejected.events.get(from_state=LeadState.REJECTED)
    assert override.actor == manager and "overridden" in override.reason


def test_override_htmx_replaces_row(manager, client_for, rejected):
    response = client_for(manager).post(f"/leads/{rejected.pk}/override/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert f'id="unqualified-{rejected.pk}"' in html and "back in routing" in html
    assert "<html" not in html


def test_override_permissions(rep, client_for, rejected, other_team):
    assert client_for(rep).post(f"/leads/{rejected.pk}/override/").status_code == 403
    stranger = make_manager(teams=[TeamFactory()])
    assert client_for(stranger).post(f"/leads/{rejected.pk}/override/").status_code == 404
    manager = make_manager(teams=[rejected.team])
    assert client_for(manager).get(f"/leads/{rejected.pk}/override/").status_code == 405
    rejected.refresh_from_db()
    assert rejected.status == LeadState.REJECTED


def test_second_override_is_refused(manager, rejected):
    stale = Lead.objects.get(pk=rejected.pk)
    lead_override_rejection(lead=rejected, actor=manager)
    with pytest.raises(LeadChanged):
        lead_override_rejection(lead=stale, actor=manager)


@pytest.mark.django_db(transaction=True)
def test_parallel_overrides_only_one_wins(team, source):
    lead = new_lead(source, status=LeadState.REJECTED, rejection_reason="low")
    managers = [make_manager(teams=[team]) for _ in range(5)]
    outcomes, barrier = [], threading.Barrier(5)

    def press(user):
        try:
            # Every thread reads the rejected lead first, then all write at once.
            mine = Lead.objects.get(pk=lead.pk)
            barrier.wait()
            try:
                lead_override_rejection(lead=mine, actor=user)
                outcomes.append("won")
            except LeadChanged:
                outcomes.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * 4 + ["won"]
    assert LeadEvent.objects.filter(lead=lead, from_state=LeadState.REJECTED).count() == 1


def test_batched_intake_screens_like_one_by_one_and_routes_the_qualified(source, rules):
    """routing.tasks.leads_intake (an import's chunk): the same scores, breakdowns and
    rejections as lead_screen gives one lead at a time, and only qualified leads routed."""
    from routing.tasks import leads_intake

    source.qualification_threshold = 30
    source.save()
    big = new_lead(source, company_size="1000-5000", country="BR")
    small = new_lead(source, company_size="11-50", country="BR")
    leads_intake.run([big.pk, small.pk])
    leads_intake.run([big.pk, small.pk])  # run twice: nothing moves again
    big.refresh_from_db()
    small.refresh_from_db()
    # No routing rule yet: the team's default pool.
    assert big.status == LeadState.POOLED and big.pool.name == "Inbound default"
    assert big.score == 40 and {b["name"] for b in big.score_breakdown} == {
        "Big company",
        "Website",
        "Brazil",
    }
    assert small.status == LeadState.REJECTED and small.score == 20
    assert "below" in small.rejection_reason
    assert list(big.events.values_list("to_state", flat=True).order_by("id")) == [
        LeadState.NEW,
        LeadState.SCREENED,
        LeadState.POOLED,
    ]
    assert small.events.filter(to_state=LeadState.REJECTED).count() == 1
