"""The team board (reports:team) and the manager's availability action (desk:availability):
what each rep's row says, who may set a rep away, and a query count that does not grow
with the team."""

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Quota, RepProfile, Team
from accounts.services import rep_availability_set
from pools.lifecycle import LeadState
from pools.models import LeadEvent
from routing.live.presence import presence_gone, presence_seen
from routing.models import Offer, OfferResponse
from tests.factories import LeadFactory, make_manager, make_rep

pytestmark = pytest.mark.django_db
URL = "/reports/team/"


def _offer(lead, reps) -> Offer:
    now = timezone.now()
    return Offer.objects.create(
        lead=lead,
        method="shotgun",
        recipient_ids=[r.pk for r in reps],
        plan={"steps": []},
        expires_at=now + timedelta(minutes=5),
        state=Offer.State.EXPIRED,
    )


def _row(response, rep):
    (row,) = [r for r in response.context["reps"] if r.user_id == rep.pk]
    return row


def test_a_reps_row_counts_offers_answered_on_their_own_day(client_for, manager, team):
    rep = make_rep(team=team, time_zone="Pacific/Kiritimati")  # UTC+14
    zone = ZoneInfo("Pacific/Kiritimati")
    their_midnight = datetime.combine(timezone.now().astimezone(zone).date(), time.min, zone)
    lead = LeadFactory(team=team)
    answers = [
        (OfferResponse.Response.ACCEPTED, their_midnight + timedelta(seconds=5)),
        (OfferResponse.Response.DECLINED, their_midnight + timedelta(seconds=6)),
        (OfferResponse.Response.DECLINED, their_midnight + timedelta(seconds=7)),
        # Before their midnight: yesterday for them, whatever day it is in UTC.
        (OfferResponse.Response.ACCEPTED, their_midnight - timedelta(seconds=5)),
    ]
    for response, at in answers:
        OfferResponse.objects.create(
            offer=_offer(lead, [rep]), rep=rep, response=response, responded_at=at
        )
    row = _row(client_for(manager).get(URL), rep)
    assert (row.accepted_today, row.declined_today) == (1, 2)


def test_a_reps_row_shows_presence_last_activity_and_the_daily_cap(client_for, manager, team):
    rep, quiet = make_rep(team=team, max_per_day=7), make_rep(team=team)
    lead = LeadFactory(status=LeadState.CONTACTED, owner=rep, team=team)
    touched = timezone.now() - timedelta(minutes=3)
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.TOUCH, actor=rep, created_at=touched)
    # A manager's action on the rep's lead is not the rep's activity.
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.TOUCH, actor=manager)
    connection = f"test.{uuid.uuid4()}"
    presence_seen(user_id=rep.pk, connection=connection)
    try:
        response = client_for(manager).get(URL)
    finally:
        presence_gone(user_id=rep.pk, connection=connection)
    row, other = _row(response, rep), _row(response, quiet)
    assert row.online and not other.online
    assert row.last_activity == touched and other.last_activity is None
    assert (row.cap_today, other.cap_today) == (7, None)
    html = response.content.decode()
    assert f'id="board-rep-{rep.pk}"' in html
    assert "0 / 7" in html and "3 min ago" in html
    assert response.context["online_count"] == 1


def test_the_board_reads_in_the_same_queries_for_3_reps_or_30(
    client_for, manager, team, queries_of
):
    client = client_for(manager)
    zones = ["UTC", "Asia/Tokyo", "America/Sao_Paulo", "Pacific/Kiritimati"]

    def add_reps(n):
        for i in range(n):
            rep = make_rep(team=team, time_zone=zones[i % len(zones)])
            lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team)
            LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.NOTE, actor=rep)
            OfferResponse.objects.create(
                offer=_offer(lead, [rep]), rep=rep, response=OfferResponse.Response.DECLINED
            )

    # Quotas on: the board's quota column reads in the same queries for any team size.
    Quota.objects.create(team=team, metric=Quota.Metric.LEADS_WORKED, period="week", target=4)
    Quota.objects.create(team=team, metric=Quota.Metric.TOUCHES, period="month", target=10)
    add_reps(3)
    few = queries_of(lambda: client.get(URL))
    add_reps(27)
    assert queries_of(lambda: client.get(URL)) == few


def test_each_reps_row_shows_their_quota_attainment(client_for, manager, team):
    busy, idle = make_rep(team=team), make_rep(team=team)
    Quota.objects.create(team=team, metric=Quota.Metric.LEADS_WORKED, period="week", target=4)
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=busy, team=team)
    LeadEvent.objects.create(
        lead=lead, kind=LeadEvent.Kind.ASSIGNED, to_state=LeadState.ASSIGNED, owner=busy
    )
    response = client_for(manager).get(URL)
    assert [(q.actual, q.target, q.percent) for q in _row(response, busy).quotas] == [(1, 4, 25)]
    assert [q.percent for q in _row(response, idle).quotas] == [0]
    assert "<strong>25%</strong>" in response.content.decode()  # the bar in the busy rep's row
    # A value quota's figures carry the team's currency; a count's none.
    Team.objects.filter(pk=team.pk).update(currency="BRL")
    Quota.objects.create(team=team, metric=Quota.Metric.WON_VALUE, period="month", target=20000)
    body = client_for(manager).get(URL).content.decode()
    assert "R$ 0 / 20\u202f000" in body and "R$ 1 / 4" not in body


# -- setting a rep away or available --------------------------------------------------


def _set(client, rep, availability="away", **headers):
    return client.post(
        reverse("desk:availability", args=[rep.pk]), {"availability": availability}, **headers
    )


def test_a_manager_sets_their_rep_away_and_the_board_re_reads(client_for, manager, rep):
    before = rep.rep_profile.availability_since
    response = _set(client_for(manager), rep, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Trigger"] == "board-changed"
    profile = RepProfile.objects.get(user=rep)
    assert profile.availability == "away" and profile.availability_since > before
    response = _set(client_for(manager), rep, "available")
    assert response.status_code == 302
    assert RepProfile.objects.get(user=rep).availability == "available"


def test_the_board_shows_the_button_that_undoes_the_status(client_for, manager, rep):
    html = client_for(manager).get(URL).content.decode()
    assert "Set away" in html and "Set available" not in html
    rep_availability_set(profile=rep.rep_profile, availability="away")
    html = client_for(manager).get(URL).content.decode()
    assert "Set available" in html and "Set away" not in html


def test_another_teams_manager_gets_404_and_a_rep_403(client_for, rep, other_rep, other_team):
    stranger = make_manager(teams=[other_team])
    assert _set(client_for(stranger), rep).status_code == 404
    assert _set(client_for(other_rep), rep).status_code == 403
    assert _set(client_for(rep), rep).status_code == 403  # not even their own, here
    assert RepProfile.objects.get(user=rep).availability == "available"


def test_an_unknown_status_is_a_clear_400_and_get_is_refused(client_for, manager, rep):
    response = _set(client_for(manager), rep, "sleeping")
    assert response.status_code == 400 and b"Choose one of" in response.content
    url = reverse("desk:availability", args=[rep.pk])
    assert client_for(manager).get(url).status_code == 405
    assert RepProfile.objects.get(user=rep).availability == "available"


def test_setting_the_status_it_already_has_writes_nothing(rep):
    profile = rep.rep_profile
    since = profile.availability_since
    assert rep_availability_set(profile=profile, availability="available") is False
    assert RepProfile.objects.get(pk=profile.pk).availability_since == since
    with pytest.raises(ValueError):
        rep_availability_set(profile=profile, availability="nope")
