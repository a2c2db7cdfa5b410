"""The routing rules' admin: the rule form, its messages, the rule list and "Test a lead"."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from accounts.models import OutOfOffice
from pools.lifecycle import LeadState
from pools.models import LeadEvent
from routing.models import RepIntake, RoutingDecision, RoutingRule, RuleRotation
from tests.factories import LeadSourceFactory, PoolFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db


def _rule_post(**overrides):
    data = {
        "name": "R",
        "priority": 1,
        "is_active": "on",
        "conditions": "",
        "action": "assign",
        "method": "round_robin",
        "target": "team",
        "keep_turn": "on",
        "performance_window_days": 90,
        "performance_min_sample": 5,
        "value_tiers": "",
        "fallback": "skim",
        "rotation-TOTAL_FORMS": 0,
        "rotation-INITIAL_FORMS": 0,
        "rotation-MIN_NUM_FORMS": 0,
        "rotation-MAX_NUM_FORMS": 1,
    }
    data.update(overrides)
    return data


def test_admin_rejects_bad_conditions_with_a_clear_message(admin_user, client_for, team):
    client = client_for(admin_user)
    for conditions, message in [
        ("state = SP\ncolour = red", "Line 2 (“colour = red”): start with a lead field"),
        ("score 50-10", "Line 1 (“score 50-10”): the range minimum is above its maximum"),
        ("score 50", "after “score”, say how to compare"),
        ("value_tiers", "start with a lead field"),
        ("\n\nstate = SP\nscore high", "Line 4 (“score high”)"),  # counted as typed
    ]:
        response = client.post(
            "/admin/routing/routingrule/add/", _rule_post(team=team.pk, conditions=conditions)
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert escape(message) in body
        assert escape(conditions.splitlines()[-1]) in body  # re-shown as typed
    # Every bad line in one save, each its own message in the field's error list.
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(team=team.pk, conditions="colour = red\nstate = SP\nscore 50"),
    )
    errors = response.context["adminform"].form.errors["conditions"]
    assert [e.split(":")[0] for e in errors] == ["Line 1 (“colour = red”)", "Line 3 (“score 50”)"]
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(team=team.pk, method="top_performer", value_tiers="50,000"),
    )
    assert "without thousands separators" in response.content.decode()
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(team=team.pk, method="top_performer", value_tiers="50k"),
    )
    assert "“50k” is not a number" in response.content.decode()
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(team=team.pk, method="top_performer", value_tiers="10, 500"),
    )
    assert "from highest to lowest" in response.content.decode()
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(team=team.pk, method="top_performer", value_tiers="12.500"),
    )
    assert "“12.500” is ambiguous" in response.content.decode()  # not 12.5
    assert not RoutingRule.objects.exists()


def test_admin_requires_the_fields_the_action_needs(admin_user, client_for):
    response = client_for(admin_user).post(
        "/admin/routing/routingrule/add/", _rule_post(action="pool")
    )
    assert "Choose the pool" in response.content.decode()


def test_admin_saves_a_valid_rule(admin_user, client_for, team):
    response = client_for(admin_user).post(
        "/admin/routing/routingrule/add/",
        _rule_post(
            team=team.pk,
            conditions="state in SP, RJ\nestimated_value >= 10000\nor\nsource = partner",
            method="top_performer",
            value_tiers="50000, 10000.5",
        ),
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.conditions == [
        [
            {"field": "state", "op": "in", "value": ["SP", "RJ"]},
            {"field": "estimated_value", "op": "range", "value": [10000, None]},
        ],
        [{"field": "source", "op": "equals", "value": "partner"}],
    ]
    assert rule.value_tiers == [50000, 10000.5] and rule.rotation.state == {}


def test_admin_shows_stored_conditions_as_lines(admin_user, client_for, team):
    rule = RuleFactory(
        team=team,
        conditions=[
            [{"field": "city", "op": "in", "value": ["Washington, DC", "Boston"]}],
            [{"field": "score", "op": "range", "value": [None, 40]}],
        ],
        value_tiers=[50000, 10000],
    )
    body = client_for(admin_user).get(f"/admin/routing/routingrule/{rule.pk}/change/")
    body = body.content.decode()
    assert escape('city in "Washington, DC", Boston\nor\nscore ≤ 40') in body
    assert 'value="50000, 10000"' in body


def test_the_method_state_shows_only_for_methods_that_keep_one(admin_user, client_for, team):
    """A shotgun offer's page showed an empty "method state" section."""
    kept = RuleFactory(team=team, method=RoutingRule.Method.ROUND_ROBIN)
    none = RuleFactory(
        team=team, action=RoutingRule.Action.OFFER, offer_method=RoutingRule.OfferMethod.SHOTGUN
    )
    for rule in (kept, none):
        RuleRotation.objects.get_or_create(rule=rule)
    client = client_for(admin_user)
    page = client.get(f"/admin/routing/routingrule/{kept.pk}/change/").content.decode()
    assert "round-robin pointer" in page
    page = client.get(f"/admin/routing/routingrule/{none.pk}/change/").content.decode()
    assert "round-robin pointer" not in page
    # A pool rule keeps round robin as its (unused) method: no state either.
    pool_rule = RuleFactory(team=team, action=RoutingRule.Action.POOL, pool=PoolFactory(team=team))
    RuleRotation.objects.get_or_create(rule=pool_rule)
    page = client.get(f"/admin/routing/routingrule/{pool_rule.pk}/change/").content.decode()
    assert "round-robin pointer" not in page


def test_admin_rule_list_reads_as_sentences(admin_user, client_for, team):
    RuleFactory(
        name="SP leads", team=team, conditions=[[{"field": "state", "op": "equals", "value": "SP"}]]
    )
    body = client_for(admin_user).get("/admin/routing/routingrule/").content.decode()
    assert "state = SP" in body and "Round robin over reps of Inbound" in body
    assert "Test a lead" in body


def test_admin_test_a_lead_by_id_writes_nothing(admin_user, client_for, team, rep):
    RuleFactory(name="Everyone", team=team)
    lead = screened_lead(team=team)
    body = (
        client_for(admin_user)
        .get(f"/admin/routing/routingrule/test/?lead_id={lead.pk}")
        .content.decode()
    )
    assert f"Assigned to {rep.display_name}" in body and "Everyone" in body
    lead.refresh_from_db()
    assert lead.status == LeadState.SCREENED and not lead.routing_decisions.exists()


def test_admin_test_a_pasted_lead(admin_user, client_for, team, rep):
    RuleFactory(
        name="Paid",
        team=team,
        conditions=[[{"field": "source", "op": "equals", "value": "paid_search"}]],
    )
    client = client_for(admin_user)
    body = client.get(
        "/admin/routing/routingrule/test/",
        {"fields_text": "source: paid_search\ncountry: BR\ncreated_at: 2026-03-04T10:00:00+00:00"},
    ).content.decode()
    assert "Assigned to" in body and "Paid" in body
    for text, message in [
        ("colour: red", "Line 1: “colour” is not a field to test."),
        ("country BR", "Line 1: write “name: value”."),
        ("score: high", "“high” is not a valid score."),
        ("estimated_value: NaN", "“NaN” is not a valid estimated value."),
        ("estimated_value: 12.500", "“12.500” is ambiguous"),
        ("created_at: 2026-13-45T10:00", "is not a valid created at."),
    ]:
        body = client.get("/admin/routing/routingrule/test/", {"fields_text": text})
        assert escape(message) in body.content.decode()
    body = client.get("/admin/routing/routingrule/test/", {"lead_id": 999999}).content.decode()
    assert "There is no lead #999999" in body


def test_admin_tests_a_lead_against_a_draft_and_refuses_a_mixed_or_misspelt_ask(
    admin_user, client_for, team, rep
):
    from routing.simulator.drafts import rule_set_copy_live

    RuleFactory(name="Everyone", team=team)
    draft = rule_set_copy_live(name="Try skim")
    draft.rules.update(action=RoutingRule.Action.SKIM, name="Everyone to skim")
    lead = screened_lead(team=team)
    client = client_for(admin_user)
    url = "/admin/routing/routingrule/test/"
    live = client.get(url, {"lead_id": lead.pk}).content.decode()
    assert f"Assigned to {rep.display_name}" in live and "by the live rules" in live
    tried = client.get(url, {"lead_id": lead.pk, "rule_set": draft.pk}).content.decode()
    assert "Sent to the manager&#x27;s skim queue" in tried and "Everyone to skim" in tried
    assert "by draft “Try skim”" in tried
    # The draft's rule list links here with the draft chosen, and nothing asked yet.
    opened = client.get(url, {"rule_set": draft.pk})
    assert opened.context["form"].initial["rule_set"] == str(draft.pk)
    assert not opened.context["form"].is_bound
    both = client.get(url, {"lead_id": lead.pk, "fields_text": "country: BR"})
    assert "not both" in both.content.decode()
    LeadSourceFactory(slug="paid_search")
    typo = client.get(url, {"fields_text": "source: paid_serch"}).content.decode()
    assert "Did you mean “paid_search”?" in typo
    # A typed region is read as capture stores it: "São Paulo" meets a rule on SP.
    RuleFactory(
        name="SP desk",
        team=team,
        priority=1,
        conditions=[[{"field": "state", "op": "equals", "value": "SP"}]],
    )
    typed = client.get(url, {"fields_text": "country: BR\nstate: São Paulo"}).content.decode()
    assert "SP desk" in typed and "matched" in typed
    lead.refresh_from_db()
    assert lead.status == LeadState.SCREENED and not lead.routing_decisions.exists()


def test_admin_test_page_is_for_staff_only(rep, client_for):
    response = client_for(rep).get("/admin/routing/routingrule/test/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_conditions_and_tiers_count_as_changed_only_when_their_meaning_does():
    from routing.rules.forms import ConditionsField, NumberListField

    stored = [[{"field": "state", "op": "in", "value": ["SP", "RJ"]}]]
    field = ConditionsField(required=False)
    assert not field.has_changed(stored, "state in SP, RJ")
    assert not field.has_changed(stored, "\n  state in SP,RJ  \n")  # spacing only
    assert field.has_changed(stored, "state in SP")
    assert field.has_changed(stored, "colour = red")  # unreadable: shown again, changed
    assert not field.has_changed([], "") and not field.has_changed(None, "  ")
    tiers = NumberListField(required=False)
    assert not tiers.has_changed([50000, 10000], "50000,10000")
    assert tiers.has_changed([50000], "50000, 100")


# -- "Test a lead" at a moment the admin picks (issue 24, point 8) ---------------------------

TEST_URL = "/admin/routing/routingrule/test/"
WEDNESDAY = "2026-03-04"  # routing clock: UTC in tests


def _office_rep(team, **profile):
    """A rep in São Paulo (UTC−3) working 09:00–17:00 on weekdays."""
    hours = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    return make_rep(team=team, time_zone="America/Sao_Paulo", working_hours=hours, **profile)


def _headline(body: str) -> str:
    return body.split('class="why-headline"><strong>', 1)[1].split("<", 1)[0]


def test_admin_test_a_lead_routes_at_the_moment_picked(admin_user, client_for, team):
    rep = _office_rep(team)
    pool = PoolFactory(team=team, name="Night pool")
    RuleFactory(name="Everyone", team=team, fallback=RoutingRule.Fallback.POOL, fallback_pool=pool)
    lead = screened_lead(team=team)
    client = client_for(admin_user)
    # 03:00 UTC is midnight in São Paulo: nobody at work.
    night = client.get(TEST_URL, {"lead_id": lead.pk, "at": f"{WEDNESDAY}T03:00"})
    body = night.content.decode()
    assert _headline(body) == "Placed in pool Night pool"
    assert "Outside working hours" in body and f"Result at Wed {WEDNESDAY} 03:00 (UTC)" in body
    # 14:00 UTC is 11:00 there; a typed lead too.
    for params in ({"lead_id": lead.pk}, {"fields_text": "country: BR"}):
        day = client.get(TEST_URL, {**params, "at": f"{WEDNESDAY}T14:00"}).content.decode()
        assert _headline(day) == f"Assigned to {rep.display_name}"
    # Out of office that day, back the next.
    OutOfOffice.objects.create(
        profile=rep.rep_profile,
        starts_at=datetime(2026, 3, 4, tzinfo=UTC),
        ends_at=datetime(2026, 3, 5, tzinfo=UTC),
    )
    body = client.get(TEST_URL, {"lead_id": lead.pk, "at": f"{WEDNESDAY}T14:00"}).content
    assert "Out of office" in body.decode()
    body = client.get(TEST_URL, {"lead_id": lead.pk, "at": "2026-03-05T14:00"}).content
    assert _headline(body.decode()) == f"Assigned to {rep.display_name}"


def test_admin_test_a_lead_counts_caps_on_the_moments_day(admin_user, client_for, team):
    rep = _office_rep(team, max_per_day=1)
    RepIntake.objects.create(user=rep, day=date(2026, 3, 4), count=1)
    RuleFactory(name="Everyone", team=team)
    lead = screened_lead(team=team)
    client = client_for(admin_user)
    body = client.get(TEST_URL, {"lead_id": lead.pk, "at": f"{WEDNESDAY}T14:00"}).content
    assert "Cap reached: 1 of 1 leads this day" in body.decode()
    body = client.get(TEST_URL, {"lead_id": lead.pk, "at": "2026-03-05T14:00"}).content
    assert _headline(body.decode()) == f"Assigned to {rep.display_name}"


def test_admin_test_a_typed_lead_arrives_at_the_moment(admin_user, client_for, team, rep):
    RuleFactory(
        name="Office hours",
        team=team,
        conditions=[[{"field": "arrival_hour", "op": "range", "value": [8, 18]}]],
    )
    client = client_for(admin_user)
    body = client.get(TEST_URL, {"fields_text": "country: BR", "at": f"{WEDNESDAY}T03:00"})
    assert "Sent to the manager" in _headline(body.content.decode())
    body = client.get(TEST_URL, {"fields_text": "country: BR", "at": f"{WEDNESDAY}T10:00"})
    assert _headline(body.content.decode()) == f"Assigned to {rep.display_name}"
    # A typed arrival wins over the moment.
    typed = "country: BR\ncreated_at: 2026-03-04T03:00:00+00:00"
    body = client.get(TEST_URL, {"fields_text": typed, "at": f"{WEDNESDAY}T10:00"})
    assert "Sent to the manager" in _headline(body.content.decode())


def test_admin_test_a_lead_at_a_moment_writes_nothing(admin_user, client_for, team, rep):
    RuleFactory(name="Turns", team=team, method=RoutingRule.Method.ROUND_ROBIN)
    lead = screened_lead(team=team)
    tables = (RepIntake, RoutingDecision, RuleRotation, LeadEvent)
    before = [model.objects.count() for model in tables]
    body = client_for(admin_user).get(TEST_URL, {"lead_id": lead.pk, "at": f"{WEDNESDAY}T14:00"})
    assert _headline(body.content.decode()) == f"Assigned to {rep.display_name}"
    assert [model.objects.count() for model in tables] == before
    lead.refresh_from_db()
    assert lead.status == LeadState.SCREENED and lead.owner_id is None


def test_admin_test_a_lead_defaults_to_now_and_refuses_bad_moments(
    admin_user, client_for, team, rep, settings
):
    RuleFactory(name="Everyone", team=team)
    lead = screened_lead(team=team)
    client = client_for(admin_user)
    page = client.get(TEST_URL).content.decode()
    body = client.get(TEST_URL, {"lead_id": lead.pk}).content.decode()  # blank: now
    # The minute as it was before the requests and after them (one may have turned).
    minutes = {(timezone.now() - timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M") for m in (0, 1)}
    assert 'type="datetime-local" name="at"' in page
    assert any(f'value="{m}"' in page for m in minutes)
    assert any(m.replace("T", " ") in body for m in minutes) and "Assigned to" in body
    for at, message in [
        ("tomorrow", "“tomorrow” is not a date and time; write it as"),
        ("2026-02-30T10:00", "“2026-02-30T10:00” is not a date and time"),
        ("0001-01-01T00:00", "Pick a moment between 1970 and 2100."),
    ]:
        response = client.get(TEST_URL, {"lead_id": lead.pk, "at": at})
        assert response.status_code == 200
        body = response.content.decode()
        assert escape(message) in body and "why-headline" not in body
    settings.ROUTING_TIME_ZONE = "America/New_York"
    body = client.get(TEST_URL, {"lead_id": lead.pk, "at": "2026-03-08T02:30"}).content.decode()
    assert escape("2026-03-08 02:30 does not exist in America/New_York") in body
    body = client.get(TEST_URL, {"lead_id": lead.pk, "at": "2026-03-08T09:30"}).content.decode()
    assert "Result at Sun 2026-03-08 09:30 (America/New_York)" in body


# -- values checked against the known ones (issue 24, point 9) -------------------------------


def test_admin_refuses_values_nobody_has_and_says_which_was_meant(admin_user, client_for, team):
    LeadSourceFactory(slug="paid_search", name="Paid search")
    make_rep(team=team, industries=["pet", "health_beauty"], products=["crm"])
    screened_lead(team=team, company_size="5000+")
    client = client_for(admin_user)
    for conditions, message in [
        (
            "source = paid_serch",
            "Line 1 (“source = paid_serch”): “paid_serch” is not a lead source (by slug). "
            "Did you mean “paid_search”?",
        ),
        ("source = Paid search", "Did you mean “paid_search”?"),  # the name, not the slug
        ("country in BR, Brazl", "“Brazl” is not an ISO 3166 country code. Did you mean “BR”?"),
        ("country = Brazil", "Did you mean “BR”?"),
        (
            "state = Sao Paolo",
            "“Sao Paolo” is not a state or region as leads carry it. Did you mean “SP”?",
        ),
        # Leads carry SP (capture stores the code): the name would be saved and never match.
        ("state = São Paulo", "Did you mean “SP”?"),
        ("language = portugese", "Did you mean “pt”?"),
        ("industry in pet, helth_beauty", "Did you mean “health_beauty”?"),
        ("company_size = 11-500", "“11-500” is not a company-size band. Did you mean “11-50”?"),
        ("product_interest = crn", "Did you mean “crm”?"),
        ("city = Sao Paulo\nor\nsource in social, x", "Line 3 (“source in social, x”)"),
    ]:
        response = client.post(
            "/admin/routing/routingrule/add/", _rule_post(team=team.pk, conditions=conditions)
        )
        assert response.status_code == 200
        assert escape(message) in response.content.decode(), conditions
    assert not RoutingRule.objects.exists()
    # Known values in any case, free-text fields and bands leads bring are taken.
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(
            team=team.pk,
            conditions="source = PAID_SEARCH\ncountry in br, PT\nstate in SP, rj, Lisboa\n"
            "company_size = 5000+\ncity = Anywhere\ncampaign = spring-26\nlanguage = pt",
        ),
    )
    assert response.status_code == 302
    page = client.get("/admin/routing/routingrule/add/").content.decode()
    assert "source (the sources' slugs)" in page and "other fields are free text" in page


def test_admin_takes_any_value_of_a_field_nothing_is_known_for_yet(admin_user, client_for, team):
    """A new install: no lead or profile has an industry yet, so there is nothing to check."""
    response = client_for(admin_user).post(
        "/admin/routing/routingrule/add/",
        _rule_post(team=team.pk, conditions="industry = pet\nproduct_interest = crm"),
    )
    assert response.status_code == 302


def test_admin_refuses_an_unclosed_quote(admin_user, client_for, team):
    client = client_for(admin_user)
    for conditions in ('city in "Washington, DC, Boston', 'city = "Boston', 'city in "a"b, c'):
        response = client.post(
            "/admin/routing/routingrule/add/", _rule_post(team=team.pk, conditions=conditions)
        )
        body = response.content.decode()
        assert escape(f"Line 1 (“{conditions}”): a quote is left open") in body, conditions
    assert not RoutingRule.objects.exists()
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(team=team.pk, conditions='city = "Washington, DC"'),
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.conditions == [[{"field": "city", "op": "equals", "value": "Washington, DC"}]]
    body = client.get(f"/admin/routing/routingrule/{rule.pk}/change/").content.decode()
    assert escape('city = "Washington, DC"') in body  # shown as it reads back


# -- the fields that apply to the rule's action and method (issue 24, point 10) --------------


def test_rule_fields_follow_the_action_and_method():
    from routing.rules.fields_used import rule_fields_used

    used, required = rule_fields_used({"action": "pool", "method": "top_performer"})
    assert {"pool", "fallback", "team"} <= used
    assert not used & {"method", "target", "reps", "value_tiers", "require_language"}
    assert required == {"pool": "Choose the pool this rule places leads in."}
    used, required = rule_fields_used(
        {"action": "assign", "method": "direct", "target": "reps", "fallback": "rule"}
    )
    assert {"direct_rep", "fallback_rule", "require_language"} <= used
    assert not used & {"target", "reps", "keep_turn", "fallback_pool"}
    assert set(required) == {"direct_rep", "fallback_rule"}
    used, required = rule_fields_used(
        {"action": "assign", "method": "top_performer", "target": "team", "fallback": "skim"}
    )
    assert {"target", "value_tiers", "performance_min_sample"} <= used and "keep_turn" not in used
    assert set(required) == {"team"}
    used, _ = rule_fields_used({"action": "skim", "fallback": "pool"})
    assert not used & {"fallback", "fallback_pool", "method"}


def test_admin_clears_what_does_not_apply_and_requires_only_what_does(
    admin_user, client_for, team, rep
):
    pool = PoolFactory(team=team)
    client = client_for(admin_user)
    # Everything filled in, a mistake in a field a pool rule has no use for included.
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(
            action="pool",
            pool=pool.pk,
            method="top_performer",
            target="reps",
            reps=[rep.pk],
            direct_rep=rep.pk,
            value_tiers="50k",
            keep_turn="",
            require_language="on",
            min_seniority=3,
            fallback="skim",
        ),
    )
    assert response.status_code == 302, response.content.decode()
    rule = RoutingRule.objects.get()
    assert (rule.action, rule.pool, rule.method, rule.target) == (
        "pool",
        pool,
        "round_robin",
        "team",
    )
    assert not rule.reps.exists() and rule.direct_rep is None and rule.value_tiers == []
    assert rule.keep_turn and not rule.require_language and rule.min_seniority is None
    # Direct needs its rep, not a team; "The reps listed below" needs reps.
    response = client.post(
        "/admin/routing/routingrule/add/", _rule_post(name="D", method="direct", team="")
    )
    body = response.content.decode()
    assert "Choose the rep for" in body and "Choose the team" not in body
    response = client.post("/admin/routing/routingrule/add/", _rule_post(name="L", target="reps"))
    assert "Choose at least one rep." in response.content.decode()
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(name="S", action="skim", fallback="rule", method="direct", team=""),
    )
    assert response.status_code == 302  # a skim rule needs no rep, no fallback rule
    assert RoutingRule.objects.get(name="S").fallback == "skim"


def test_an_offer_rule_is_set_up_in_the_admin_with_its_methods_fields(admin_user, client_for, team):
    from routing.rules.fields_used import rule_fields_used

    used, _ = rule_fields_used({"action": "offer", "offer_method": "sequential", "target": "team"})
    assert {"offer_method", "offer_seconds", "offer_passes", "offer_blind", "target"} <= used
    assert not used & {"method", "offer_shark_size", "offer_waves", "keep_turn", "pool"}
    used, _ = rule_fields_used({"action": "offer", "offer_method": "waves"})
    assert {"offer_waves", "performance_min_sample"} <= used and "offer_passes" not in used
    assert not rule_fields_used({"action": "assign"})[0] & {"offer_method", "offer_seconds"}
    client = client_for(admin_user)
    assert 'name="offer_passes"' in client.get("/admin/routing/routingrule/add/").content.decode()
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(
            action="offer",
            offer_method="sequential",
            offer_seconds=20,
            offer_passes=3,
            offer_shark_size=9,  # not the sequential method's: back to its default
            offer_waves=3,
            offer_blind="on",
            team=team.pk,
        ),
    )
    assert response.status_code == 302, response.content.decode()
    rule = RoutingRule.objects.get()
    assert (rule.action, rule.offer_method, rule.offer_seconds, rule.offer_passes) == (
        "offer",
        "sequential",
        20,
        3,
    )
    assert rule.offer_blind and rule.offer_shark_size == 3


def test_admin_rule_form_explains_every_method_and_carries_the_mapping(admin_user, client_for):
    body = client_for(admin_user).get("/admin/routing/routingrule/add/").content.decode()
    for method in RoutingRule.Method:
        assert f'<li data-method="{method.value}">' in body
    assert "<strong>Load balanced</strong>: the rep with the fewest open leads" in body
    assert '<script id="rule-form-layouts" type="application/json">' in body
    assert "js/rule_form.js" in body
    # Without JavaScript every field is on the page.
    for name in ("pool", "direct_rep", "value_tiers", "keep_turn", "fallback_rule"):
        assert f'name="{name}"' in body


@pytest.mark.parametrize(
    "conditions",
    ["score >= 1" + "0" * 400 + ".5", "score 1-1" + "0" * 400 + ".5", "score <= -1" + "0" * 400],
)
def test_a_number_too_big_for_any_lead_is_refused_not_a_500(
    admin_user, client_for, team, conditions
):
    response = client_for(admin_user).post(
        "/admin/routing/routingrule/add/", _rule_post(team=team.pk, conditions=conditions)
    )
    assert response.status_code == 200, response.status_code
    assert "Line 1" in response.content.decode()
    assert not RoutingRule.objects.exists()
