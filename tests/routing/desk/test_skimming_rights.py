"""A top performer given skimming rights for a team (RepProfile.skim_teams): they work that
team's skim queue on the desk — see it, open its leads, assign them — and nothing else."""

import pytest
from django.urls import reverse

from accounts.selectors import reps_managed_by, teams_managed_by
from pools.lifecycle import LeadState
from pools.models import Lead
from pools.selectors import leads_managed_by
from routing.desk.services import DeskError, lead_hand_assign
from routing.models import RoutingDecision
from tests.factories import LeadFactory, make_rep

pytestmark = pytest.mark.django_db


@pytest.fixture
def skimmer(team):
    """A rep of the team with the right to skim its queue."""
    user = make_rep(team=team, user__first_name="Top", user__last_name="Performer")
    user.rep_profile.skim_teams.add(team)
    return user


def test_the_scope_is_the_teams_skim_queue_and_nothing_more(team, other_team, skimmer, rep):
    waiting = LeadFactory(status=LeadState.SKIMMING, team=team)
    owned = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team)
    elsewhere = LeadFactory(status=LeadState.SKIMMING, team=other_team)
    assert list(teams_managed_by(user=skimmer)) == []  # no manager powers
    assert list(teams_managed_by(user=skimmer, skimming=True)) == [team]
    assert set(leads_managed_by(user=skimmer, skimming=True)) == {waiting}
    assert not leads_managed_by(user=skimmer).filter(pk__in=[owned.pk, elsewhere.pk]).exists()
    assert set(reps_managed_by(user=skimmer, skimming=True)) == {skimmer, rep}


def test_a_skimmer_sees_the_queue_and_assigns_from_it(team, skimmer, rep, client_for):
    waiting = LeadFactory(status=LeadState.SKIMMING, team=team, first_name="Waiting")
    client = client_for(skimmer)
    page = client.get(reverse("desk:desk")).content.decode()
    assert f'id="desk-row-{waiting.pk}"' in page
    assert 'name="leads"' not in page and "Send to pool" not in page  # no bulk, no pools
    response = client.post(
        reverse("desk:assign", args=[waiting.pk]), {"rep": rep.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    lead = Lead.objects.get(pk=waiting.pk)
    assert (lead.status, lead.owner) == (LeadState.ASSIGNED, rep)
    decision = RoutingDecision.objects.get(lead=lead, method="manual")
    assert decision.reason.startswith("Assigned by Top Performer (skimming rights)")
    # The nav offers them the desk.
    assert 'href="/desk/"' in client.get(reverse("pools:my_leads")).content.decode()


def test_a_skimmer_cannot_reassign_or_open_a_teams_other_leads(
    team, other_team, skimmer, rep, client_for
):
    owned = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team)
    client = client_for(skimmer)
    assert client.get(reverse("desk:desk"), {"lead": owned.pk}).status_code == 404
    # Their team's lead out of the queue: refused as "moved" (as when it just left the
    # queue under their eyes), never reassigned.
    url = reverse("desk:assign", args=[owned.pk])
    response = client.post(url, {"rep": skimmer.pk, "reason": "mine"}, follow=True)
    assert "Someone else just moved this lead" in response.content.decode()
    with pytest.raises(DeskError):
        lead_hand_assign(manager=skimmer, lead_id=owned.pk, rep_id=skimmer.pk, reason="mine")
    for name in ("desk:pool", "desk:skim"):
        assert client.post(reverse(name, args=[owned.pk])).status_code == 403
    assert client.post(reverse("desk:bulk")).status_code == 403
    assert client.get(reverse("reports:team")).status_code == 403
    assert Lead.objects.get(pk=owned.pk).owner == rep
    # Another team's queue is a 404, as for a manager of another team.
    elsewhere = LeadFactory(status=LeadState.SKIMMING, team=other_team)
    url = reverse("desk:assign", args=[elsewhere.pk])
    assert client.post(url, {"rep": skimmer.pk}).status_code == 404
    assert client.get(reverse("desk:desk"), {"lead": elsewhere.pk}).status_code == 404


def test_a_lead_someone_else_took_gives_the_skimmer_the_calm_message(team, skimmer, rep):
    from tests.factories import make_manager

    waiting = LeadFactory(status=LeadState.SKIMMING, team=team)
    seen = f"{waiting.status}:"
    lead_hand_assign(manager=make_manager(teams=[team]), lead_id=waiting.pk, rep_id=rep.pk)
    from django.test import Client

    client = Client()
    client.force_login(skimmer)
    response = client.post(
        reverse("desk:assign", args=[waiting.pk]),
        {"rep": skimmer.pk, "seen": seen},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Someone else just moved this lead" in response.content.decode()


def test_without_the_grant_a_rep_gets_403_and_the_admin_edits_the_grant(
    team, rep, client_for, admin_user
):
    assert client_for(rep).get(reverse("desk:desk")).status_code == 403
    url = reverse("admin:accounts_repprofile_change", args=[rep.rep_profile.pk])
    page = client_for(admin_user).get(url).content.decode()
    assert 'name="skim_teams"' in page and "Skimming rights" in page
