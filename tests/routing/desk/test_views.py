"""The desk's pages and actions: who may, who may not, and what a click does."""

import pytest
from django.urls import reverse

from pools.lifecycle import LeadState
from pools.models import Lead
from routing.models import RoutingDecision
from tests.factories import LeadFactory, PoolFactory, make_manager, make_rep

pytestmark = pytest.mark.django_db


def skimming(team, **fields):
    return LeadFactory(status=LeadState.SKIMMING, team=team, **fields)


def desk_urls(lead):
    """Every desk URL, with the method and a body that would act if allowed."""
    return [
        ("get", reverse("desk:desk"), {"lead": lead.pk}),
        ("get", reverse("desk:queue"), {}),
        ("post", reverse("desk:assign", args=[lead.pk]), {"rep": 0}),
        ("post", reverse("desk:pool", args=[lead.pk]), {"pool": 0}),
        ("post", reverse("desk:skim", args=[lead.pk]), {}),
        ("post", reverse("desk:bulk"), {"leads": [lead.pk], "action": "assign", "reps": [0]}),
    ]


def test_a_rep_gets_403_on_every_desk_url(team, rep, client_for):
    lead = skimming(team)
    client = client_for(rep)
    for method, url, data in desk_urls(lead):
        assert getattr(client, method)(url, data).status_code == 403, url


def test_a_manager_of_another_team_gets_404_for_every_lead_url_and_action(
    team, other_team, rep, client_for
):
    lead = skimming(team)
    stranger = client_for(make_manager(teams=[other_team]))
    for method, url, data in desk_urls(lead):
        if url == reverse("desk:queue"):
            continue  # not about one lead: their own (empty) queue
        assert getattr(stranger, method)(url, data).status_code == 404, url
    assert Lead.objects.get(pk=lead.pk).status == LeadState.SKIMMING
    # Their own queue does not list it.
    assert lead.display_name not in stranger.get(reverse("desk:queue")).content.decode()


def test_signed_out_users_are_sent_to_sign_in(team, client):
    lead = skimming(team)
    for method, url, data in desk_urls(lead):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/login" in response["Location"], url


def test_wrong_methods_are_refused(manager, client_for):
    client = client_for(manager)
    assert client.post(reverse("desk:desk")).status_code == 405
    assert client.get(reverse("desk:assign", args=[1])).status_code == 405
    assert client.get(reverse("desk:bulk")).status_code == 405


def test_the_desk_shows_the_oldest_waiting_lead_with_the_engines_suggestions(
    team, manager, rep, client_for
):
    old, new = skimming(team, first_name="Olda"), skimming(team, first_name="Newt")
    Lead.objects.filter(pk=old.pk).update(created_at=new.created_at.replace(year=2020))
    page = client_for(manager).get(reverse("desk:desk")).content.decode()
    assert f'id="desk-lead-{old.pk}"' in page and f'id="desk-row-{new.pk}"' in page
    assert rep.display_name in page and 'data-key="1"' in page
    newest = client_for(manager).get(reverse("desk:desk"), {"order": "newest"}).content.decode()
    assert f'id="desk-lead-{new.pk}"' in newest


def test_a_suggested_reps_local_time_is_on_the_reps_clock_not_the_readers(
    team, manager, client_for
):
    """The date filter turned the rep's clock into the reader's zone: a rep in Manaus
    read as 18:43 from São Paulo, and 06:43 from Tokyo."""
    from datetime import UTC, datetime

    import time_machine

    from accounts.models import RepProfile

    rep = make_rep(team=team)
    RepProfile.objects.filter(user=rep).update(time_zone="America/Manaus")
    client = client_for(manager)
    client.cookies["tz"] = "Asia/Tokyo"  # the reader's zone (static/js/app.js)
    with time_machine.travel(datetime(2026, 3, 3, 21, 43, tzinfo=UTC), tick=False):
        skimming(team)
        page = client.get(reverse("desk:desk")).content.decode()
    assert "17:43 local" in page  # Manaus, UTC-4
    assert "06:43 local" not in page  # Tokyo


def test_the_htmx_fragments_are_the_parts(team, manager, client_for):
    lead = skimming(team)
    client = client_for(manager)
    main = client.get(
        reverse("desk:desk"), {"lead": lead.pk}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="desk-main"
    ).content.decode()
    assert main.startswith('\n  <section id="desk-main"') or main.lstrip().startswith(
        '<section id="desk-main"'
    )
    queue = client.get(reverse("desk:queue"), HTTP_HX_REQUEST="true").content.decode()
    assert queue.lstrip().startswith('<aside id="desk-queue"') and "<html" not in queue


def test_one_click_assigns_and_the_next_lead_comes_up(team, manager, rep, client_for):
    first, second = skimming(team), skimming(team)
    Lead.objects.filter(pk=first.pk).update(created_at=second.created_at.replace(year=2020))
    response = client_for(manager).post(
        reverse("desk:assign", args=[first.pk]),
        {"rep": rep.pk, "seen": "skimming:"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="desk-lead-{second.pk}"' in html
    assert f'data-live-replace="desk-row-{first.pk}"' in html
    assert Lead.objects.get(pk=first.pk).owner_id == rep.pk


def test_an_excluded_reps_button_is_the_override(team, manager, client_for):
    away = make_rep(team=team, availability="away")
    lead = skimming(team)
    client = client_for(manager)
    refused = client.post(
        reverse("desk:assign", args=[lead.pk]), {"rep": away.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Override to assign anyway" in refused and 'role="alert"' in refused
    client.post(reverse("desk:assign", args=[lead.pk]), {"override_rep": away.pk})
    assert RoutingDecision.objects.get(lead=lead).details["manual"]["override"] is True


def test_a_lead_taken_meanwhile_gets_the_calm_message(team, manager, rep, client_for):
    lead = skimming(team)
    client = client_for(manager)
    client.post(reverse("desk:assign", args=[lead.pk]), {"rep": rep.pk, "seen": "skimming:"})
    again = client.post(
        reverse("desk:assign", args=[lead.pk]),
        {"rep": make_rep(team=team).pk, "seen": "skimming:"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Someone else just moved this lead" in again


def test_bad_input_is_a_message_not_a_500(team, manager, client_for):
    lead = skimming(team)
    client = client_for(manager)
    page = client.get(reverse("desk:desk"), {"min_score": "lots", "order": "x"})
    assert page.status_code == 200 and "is not a whole number" in page.content.decode()
    # The bad filter is dropped, not applied: the queue still shows what waits.
    assert f"desk-row-{lead.pk}" in page.content.decode()
    assert "Nothing to skim" not in page.content.decode()
    for data in ({"rep": "abc"}, {}, {"override_rep": "-1"}):
        r = client.post(reverse("desk:assign", args=[lead.pk]), data, HTTP_HX_REQUEST="true")
        assert r.status_code == 200 and "Choose a rep" in r.content.decode()
    r = client.post(reverse("desk:pool", args=[lead.pk]), {"pool": "x"}, HTTP_HX_REQUEST="true")
    assert "Choose one of your teams&#x27; pools" in r.content.decode()
    r = client.post(reverse("desk:bulk"), {"leads": ["x"]})
    assert r.status_code == 404
    assert Lead.objects.get(pk=lead.pk).status == LeadState.SKIMMING


def test_a_bulk_choice_missing_is_a_toast_and_the_page_stays_as_it_was(team, manager, client_for):
    """The error drew at the top of the desk while the manager was scrolled to the bulk
    panel, which closed and lost its ticks: it looked as if nothing happened."""
    leads = [skimming(team) for _ in range(2)]
    response = client_for(manager).post(
        reverse("desk:bulk"),
        {"leads": [lead.pk for lead in leads], "action": "spread"},  # no rep chosen
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Reswap"] == "none"
    body = response.content.decode()
    assert 'hx-swap-oob="beforeend:#toasts"' in body and 'class="flash flash-error"' in body
    assert "desk-body" not in body  # nothing else is swapped
    assert Lead.objects.filter(status=LeadState.SKIMMING).count() == 2


def test_bulk_spreads_round_robin_and_sends_to_a_pool(team, manager, client_for):
    reps = [make_rep(team=team) for _ in range(2)]
    leads = [skimming(team) for _ in range(4)]
    client = client_for(manager)
    client.post(
        reverse("desk:bulk"),
        {
            "leads": [lead.pk for lead in leads[:3]],
            "action": "spread",
            "reps": [r.pk for r in reps],
        },
    )
    owners = [Lead.objects.get(pk=lead.pk).owner_id for lead in leads[:3]]
    assert owners == [reps[0].pk, reps[1].pk, reps[0].pk]
    pool = PoolFactory(team=team)
    client.post(reverse("desk:bulk"), {"leads": [leads[3].pk], "action": "pool", "pool": pool.pk})
    assert Lead.objects.get(pk=leads[3].pk).pool_id == pool.pk


def test_the_queue_filters(team, manager, client_for):
    high, low = skimming(team, score=80, country="BR"), skimming(team, score=5, country="PT")
    client = client_for(manager)
    page = client.get(reverse("desk:queue"), {"min_score": 50}).content.decode()
    assert f"desk-row-{high.pk}" in page and f"desk-row-{low.pk}" not in page
    page = client.get(reverse("desk:queue"), {"country": "pt"}).content.decode()
    assert f"desk-row-{low.pk}" in page and f"desk-row-{high.pk}" not in page
    # Filtered to nothing, the desk says so rather than that nobody waits.
    page = client.get(reverse("desk:desk"), {"country": "ZZ"}).content.decode()
    assert "Nothing matches these filters" in page and "Nobody waiting" not in page
    assert "Nothing to skim" not in page
    # An order is not a filter: an empty queue sorted newest first is simply empty.
    Lead.objects.filter(status=LeadState.SKIMMING).delete()
    page = client.get(reverse("desk:desk"), {"order": "newest"}).content.decode()
    assert "Nobody waiting" in page and "Nothing matches these filters" not in page


def test_the_queue_filters_by_the_territories_the_engine_matched(team, manager, client_for):
    # No rule and no pool: the engine sends both to the skim queue, recording on each lead
    # the territories it matched (a lead in São Paulo is in both territories).
    from routing.engine import lead_route
    from tests.factories import TerritoryFactory
    from tests.routing_factories import screened_lead

    brazil = TerritoryFactory(name="Brazil", countries=["BR"], states=[])
    sao_paulo = TerritoryFactory(name="São Paulo", countries=[], states=["SP"])
    lisbon = TerritoryFactory(name="Lisbon", countries=[], states=["LX"])
    paulista = screened_lead(team=team, country="BR", state="SP")
    carioca = screened_lead(team=team, country="BR", state="RJ")
    for lead in (paulista, carioca):
        lead_route(lead=lead)
    assert Lead.objects.get(pk=paulista.pk).territory_ids == sorted([brazil.pk, sao_paulo.pk])
    assert Lead.objects.get(pk=carioca.pk).territory_ids == [brazil.pk]
    client = client_for(manager)

    def rows(**params):
        page = client.get(reverse("desk:queue"), params).content.decode()
        return {lead.pk for lead in (paulista, carioca) if f"desk-row-{lead.pk}" in page}

    assert rows() == {paulista.pk, carioca.pk}
    assert rows(territory=brazil.pk) == {paulista.pk, carioca.pk}
    assert rows(territory=sao_paulo.pk) == {paulista.pk}
    assert rows(territory=lisbon.pk) == set()
    desk = client.get(reverse("desk:desk"), {"territory": sao_paulo.pk}).content.decode()
    assert f'<option value="{sao_paulo.pk}" selected>São Paulo</option>' in desk
    # A bad value is named on the page and dropped, never a 500.
    bad = client.get(reverse("desk:desk"), {"territory": "SP"})
    assert bad.status_code == 200 and "Territory: “SP” is not a whole number." in (
        bad.content.decode()
    )


def test_the_desk_page_takes_the_same_queries_for_5_and_40_leads_and_reps(
    team, manager, client_for, queries_of
):
    client = client_for(manager)
    for _ in range(5):
        skimming(team)
        make_rep(team=team)
    client.get(reverse("desk:desk"))
    few = queries_of(lambda: client.get(reverse("desk:desk")))
    for _ in range(35):
        skimming(team)
        make_rep(team=team)
    assert queries_of(lambda: client.get(reverse("desk:desk"))) == few


def test_a_manager_assigns_and_sends_to_skim_from_the_lead_page(team, manager, rep, client_for):
    lead = LeadFactory(status=LeadState.POOLED, team=team, pool=PoolFactory(team=team))
    client = client_for(manager)
    page_url = reverse("pools:lead_detail", args=[lead.pk])
    page = client.get(page_url).content.decode()
    assert 'id="manager-panel"' in page and reverse("desk:assign", args=[lead.pk]) in page
    response = client.post(
        reverse("desk:assign", args=[lead.pk]),
        {"rep": rep.pk, "seen": "pooled:", "next": page_url},
    )
    assert response.status_code == 302 and response["Location"] == page_url
    lead.refresh_from_db()
    assert (lead.status, lead.owner_id) == (LeadState.ASSIGNED, rep.pk)
    page = client.get(page_url).content.decode()
    assert "Reassign to" in page and "Send to skim" in page
    assert "Assigned by manager" in page  # the timeline
    # Reassigning without a reason: the message on the page, nothing written.
    other = make_rep(team=team)
    response = client.post(
        reverse("desk:assign", args=[lead.pk]), {"rep": other.pk, "next": page_url}, follow=True
    )
    assert "Say why" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).owner_id == rep.pk
    client.post(reverse("desk:skim", args=[lead.pk]), {"reason": "Wrong fit", "next": page_url})
    assert Lead.objects.get(pk=lead.pk).status == LeadState.SKIMMING


def test_the_owner_rep_sees_no_manager_panel_and_an_offsite_next_is_ignored(
    team, manager, rep, client_for
):
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team)
    page = client_for(rep).get(reverse("pools:lead_detail", args=[lead.pk])).content.decode()
    assert 'id="manager-panel"' not in page
    response = client_for(manager).post(
        reverse("desk:skim", args=[lead.pk]), {"reason": "x", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("desk:desk")
