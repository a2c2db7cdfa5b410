"""Pools and offers reports: figures against small worlds computed by hand in each
docstring (tests/reports/fixtures.py's teams, reps and NOW)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from pools.lifecycle import LeadState as S
from pools.models import LeadEvent
from reports.filters import report_filters
from reports.pools_offers.offers import offer_report
from reports.pools_offers.pools import pool_report
from routing.models import Offer, OfferResponse
from tests.factories import PoolFactory
from tests.reports.fixtures import NOW, lead, world

pytestmark = pytest.mark.django_db


def _filters(user, **query):
    form, filters = report_filters(user=user, data=query)
    assert filters is not None, form.errors
    return filters


def _pooled(*, team, pool, created, waited=None, claimer=None, status=None, pooled_ago=None):
    """A lead created `created` minutes before NOW that entered `pool` a minute later and,
    if `claimer`, was claimed `waited` seconds after that."""
    created_at = NOW - timedelta(minutes=created)
    pooled_at = created_at + timedelta(minutes=1) if pooled_ago is None else NOW - pooled_ago
    if claimer is not None:
        one = lead(
            team=team, status=S.ASSIGNED, owner=claimer, created=created, pooled_at=pooled_at
        )
        LeadEvent.objects.create(
            lead=one,
            kind=LeadEvent.Kind.CLAIMED,
            actor=claimer,
            owner=claimer,
            data={"pool": pool.pk},
            created_at=pooled_at + timedelta(seconds=waited),
        )
        return one
    if status == S.POOLED:
        return lead(team=team, status=S.POOLED, pool=pool, created=created, pooled_at=pooled_at)
    return lead(team=team, status=status, created=created, pooled_at=pooled_at)


def pool_world(w=None):
    w = w or world()
    inbound = PoolFactory(team=w.team_a, name="Inbound")
    beta_pool = PoolFactory(team=w.team_b, name="Beta pool")
    for waited in (120, 600, 1200):
        _pooled(team=w.team_a, pool=inbound, created=60, waited=waited, claimer=w.ana)
    _pooled(
        team=w.team_a, pool=inbound, created=180, status=S.POOLED, pooled_ago=timedelta(hours=2)
    )
    _pooled(
        team=w.team_a, pool=inbound, created=3 * 1440, status=S.POOLED, pooled_ago=timedelta(days=2)
    )
    _pooled(team=w.team_a, pool=inbound, created=90, status=S.SKIMMING)
    # Before the period, still waiting: aging counts it, the period's outcomes do not.
    _pooled(
        team=w.team_a,
        pool=inbound,
        created=40 * 1440,
        status=S.POOLED,
        pooled_ago=timedelta(days=39),
    )
    # The other team's: never in team A's figures.
    _pooled(team=w.team_b, pool=beta_pool, created=30, waited=5, claimer=w.cy)
    _pooled(team=w.team_b, pool=beta_pool, created=30, status=S.POOLED, pooled_ago=timedelta(0))
    return w, inbound


def test_pool_outcomes_claim_times_and_aging():
    """Team A, last 30 days: 6 leads entered a pool — 3 claimed (waits 120, 600, 1200 s),
    2 still waiting, 1 moved to the skim queue unclaimed. Median wait 600 s; p90 by linear
    interpolation: 600 + 0.8 × (1200 − 600) = 1080 s. Waiting now: the 2 h one (1–4 h), the
    2-day one (1–7 days) and the 39-day one from before the period (over 7 days)."""
    w, inbound = pool_world()
    report = pool_report(_filters(w.manager), now=NOW)
    outcomes = {r["label"]: r["leads"] for r in report["tables"]["outcomes"].rows}
    assert outcomes == {
        "Claimed by a rep": 3,
        "Still waiting in a pool": 2,
        "Left unclaimed: in the skim queue": 1,
        "Left unclaimed: routed or handed to a rep": 0,
        "Left unclaimed: under a live offer": 0,
    }
    assert report["tables"]["outcomes"].totals["leads"] == 6
    [claims] = report["tables"]["claim_time"].rows
    assert (claims["label"], claims["claims"]) == ("Inbound", 3)
    assert claims["p50"] == pytest.approx(600) and claims["p90"] == pytest.approx(1080)
    assert claims["longest"] == pytest.approx(1200)
    assert report["tables"]["claim_time"].totals["p50"] == pytest.approx(600)
    [aging] = report["tables"]["aging"].rows
    assert aging["label"] == "Inbound" and aging["waiting"] == 3
    assert (aging["under_1h"], aging["h1_4"], aging["h4_24"], aging["d1_7"], aging["over_7d"]) == (
        0,
        1,
        0,
        1,
        1,
    )
    assert aging["oldest"] == pytest.approx(39 * 86400)
    stats = {s.label: s.value for s in report["stats"]}
    assert stats["claimed"] == pytest.approx(3 / 6) and stats["waiting over a day"] == 2


def test_pool_report_makes_the_same_number_of_queries_however_many_leads(queries_of):
    w, inbound = pool_world()
    filters = _filters(w.manager)
    before = queries_of(lambda: pool_report(filters))
    other = PoolFactory(team=w.team_a, name="Second")
    for i in range(8):
        _pooled(team=w.team_a, pool=other, created=20 + i, waited=30 * i, claimer=w.bo)
        _pooled(
            team=w.team_a,
            pool=other,
            created=20 + i,
            status=S.POOLED,
            pooled_ago=timedelta(hours=i),
        )
    assert queries_of(lambda: pool_report(filters)) == before


def _offer(lead_, *, method, to, state, winner=None, seconds=None, declined=(), accepted_by=None):
    sent = NOW - timedelta(minutes=30)
    offer = Offer.objects.create(
        lead=lead_,
        method=method,
        recipient_ids=[u.pk for u in to],
        sent_at=sent,
        expires_at=sent + timedelta(minutes=5),
        state=state,
        winner=winner,
        closed_at=None if state == Offer.State.OPEN else sent + timedelta(seconds=seconds or 300),
    )
    for rep in declined:
        OfferResponse.objects.create(offer=offer, rep=rep, response="declined", responded_at=sent)
    if winner:
        OfferResponse.objects.create(
            offer=offer, rep=winner, response="accepted", responded_at=sent
        )
    return offer


def offer_world(w=None):
    w = w or world()
    St = Offer.State
    a = lambda: lead(team=w.team_a, status=S.OFFERED)  # noqa: E731
    _offer(a(), method="shotgun", to=[w.ana, w.bo], state=St.ACCEPTED, winner=w.ana, seconds=20)
    _offer(
        a(),
        method="shotgun",
        to=[w.ana, w.bo],
        state=St.ACCEPTED,
        winner=w.bo,
        seconds=40,
        declined=[w.ana],
    )
    _offer(a(), method="sequential", to=[w.ana], state=St.EXPIRED)
    _offer(a(), method="sequential", to=[w.bo], state=St.DECLINED, declined=[w.bo])
    _offer(a(), method="cascade", to=[w.ana], state=St.WITHDRAWN)
    _offer(
        lead(team=w.team_b, status=S.OFFERED),
        method="shotgun",
        to=[w.cy],
        state=St.ACCEPTED,
        winner=w.cy,
        seconds=1,
    )
    return w


def test_offers_by_method_and_by_rep():
    """Shotgun: 2 sent, both accepted (20 s, 40 s) → median 30 s, p90 20 + 0.9 × 20 = 38 s.
    Sequential: 1 expired, 1 declined. Cascade: 1 withdrawn. By rep — Ana: named in 4
    (both shotguns, a sequential, the cascade), won 1 (20 s), declined 1, 2 unanswered;
    Bo: named in 3, won 1 (40 s), declined 1 (the sequential), 1 unanswered. Team B's
    offer to Cy is not the manager's."""
    w = offer_world()
    report = offer_report(_filters(w.manager))
    by_method = {r["label"]: r for r in report["tables"]["by_method"].rows}
    shotgun, sequential = by_method["Shotgun"], by_method["Sequential"]
    assert (shotgun["sent"], shotgun["accepted"], shotgun["accept_rate"]) == (2, 2, 1.0)
    assert shotgun["p50"] == pytest.approx(30) and shotgun["p90"] == pytest.approx(38)
    assert (sequential["sent"], sequential["expired"], sequential["declined"]) == (2, 1, 1)
    assert sequential["accepted"] == 0 and sequential["p50"] is None
    assert by_method["Top-producer cascade"]["withdrawn"] == 1
    totals = report["tables"]["by_method"].totals
    assert (totals["sent"], totals["accepted"], totals["p50"]) == (5, 2, pytest.approx(30))
    by_rep = {r["label"]: r for r in report["tables"]["by_rep"].rows}
    assert set(by_rep) == {"Ana Alves", "Bo Brito"}
    ana, bo = by_rep["Ana Alves"], by_rep["Bo Brito"]
    assert (ana["received"], ana["accepted"], ana["declined"], ana["unanswered"]) == (4, 1, 1, 2)
    assert (bo["received"], bo["accepted"], bo["declined"], bo["unanswered"]) == (3, 1, 1, 1)
    assert ana["p50"] == pytest.approx(20) and bo["p50"] == pytest.approx(40)
    assert ana["accept_rate"] == pytest.approx(1 / 4)


def test_offer_report_makes_the_same_number_of_queries_however_many_offers(queries_of):
    w = offer_world()
    filters = _filters(w.manager)
    before = queries_of(lambda: offer_report(filters))
    for _ in range(6):
        _offer(
            lead(team=w.team_a, status=S.OFFERED),
            method="waves",
            to=[w.ana, w.bo],
            state=Offer.State.EXPIRED,
        )
    assert queries_of(lambda: offer_report(filters)) == before


@pytest.mark.parametrize("page", ["reports:pools", "reports:offers"])
def test_other_teams_manager_sees_none_of_this_teams_figures(client_for, page):
    w = offer_world(pool_world()[0])
    mine = client_for(w.manager).get(reverse(page)).content.decode()
    assert "Inbound" in mine or "Ana Alves" in mine  # the figures are there for their manager
    client = client_for(w.manager_b)
    body = client.get(reverse(page)).content.decode()
    assert "Inbound" not in body and "Ana Alves" not in body and "Bo Brito" not in body
    assert client.get(reverse(page), {"team": w.team_a.pk}).status_code == 404
    assert client_for(w.ana).get(reverse(page)).status_code == 403
    assert client.post(reverse(page)).status_code == 405


def test_offer_csv_matches_the_table(client_for):
    w = offer_world()
    response = client_for(w.manager).get(
        reverse("reports:offers"), {"format": "csv", "table": "by_rep", "period": "7d"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Rep", "Received", "Won"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Ana Alves"][1:3] == ["4", "1"]
    assert by_name["Ana Alves"][rows[0].index("Median (s)")] == "20"
    assert by_name["Ana Alves"][rows[0].index("Win rate (%)")] == "25.0"


def test_pool_page_renders_its_tables_and_keeps_filters_in_csv_links(client_for):
    w, _ = pool_world()
    body = client_for(w.manager).get(reverse("reports:pools"), {"period": "90d"}).content.decode()
    for key in ("outcomes", "claim_time", "aging"):
        assert f"period=90d&amp;format=csv&amp;table={key}" in body
    assert "Inbound" in body and "10 min" in body  # the claim table's median (600 s)
