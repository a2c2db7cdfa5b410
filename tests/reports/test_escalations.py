"""SLA & escalations report: figures against the world of tests/reports/fixtures.py plus
the escalations below, computed by hand in each docstring."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accounts.roles import Role
from pools.lifecycle import LeadState as S
from pools.models import Lead, LeadEvent
from reports.escalations.selectors import escalation_report
from reports.filters import report_filters
from routing.models import Notification, SlaPolicy, SlaStep
from tests.factories import UserFactory
from tests.reports.fixtures import NOW, lead, world

pytestmark = pytest.mark.django_db
N = Notification.Kind


def _escalated(lead_, **data):
    LeadEvent.objects.create(lead=lead_, kind=LeadEvent.Kind.ESCALATED, data=data, created_at=NOW)


def escalation_world(w=None):
    w = w or world()
    policy = SlaPolicy.objects.create(name="Fast SLA", team=w.team_a)
    SlaStep.objects.create(policy=policy, after_minutes=15, action=SlaStep.Action.REMIND)
    SlaStep.objects.create(policy=policy, after_minutes=30, action=SlaStep.Action.REASSIGN)
    # Reminded, still Ana's.
    reminded = lead(team=w.team_a, owner=w.ana, assigned=10)
    _escalated(reminded, policy=policy.pk, step=0, action="remind")
    Notification.objects.create(user=w.ana, kind=N.REMINDER, lead=reminded, text="…")
    # Bo was reminded, then it was taken from him and given to Ana.
    taken = lead(team=w.team_a, owner=w.ana, assigned=10, reassignments=1)
    _escalated(taken, policy=policy.pk, step=0, action="remind")
    Notification.objects.create(user=w.bo, kind=N.REMINDER, lead=taken, text="…")
    Notification.objects.create(user=w.bo, kind=N.REASSIGNED_AWAY, lead=taken, text="…")
    # Unclaimed in a pool: pool aging sent it to the skim queue (never owned).
    aged = lead(team=w.team_a, status=S.SKIMMING, pooled_at=NOW)
    _escalated(aged, pool_aging=1, action="skim")
    # Team B's: not the manager's.
    other = lead(team=w.team_b, owner=w.cy, assigned=5, reassignments=2)
    _escalated(other, policy=policy.pk, step=0, action="remind")
    Notification.objects.create(user=w.cy, kind=N.REASSIGNED_AWAY, lead=other, text="…")
    return w


def _report(user, **query):
    form, filters = report_filters(user=user, data=query)
    assert filters is not None, form.errors
    return escalation_report(filters)


def test_breach_share_actions_and_reps():
    """Team A's leads that reached an owner: the fixture's 5 (Ana 4, Bo 1) and the two
    above = 7. Breached: the reminded one and the taken one = 2 → 2/7. Reassigned: 1
    (one reassignment). Steps: Fast SLA's reminder twice on 2 leads, pool aging once,
    reassign once. By rep: Bo 1 reminder and 1 lead taken; Ana 1 reminder."""
    w = escalation_world()
    report = _report(w.manager)
    [alpha] = report["tables"]["breaches"].rows
    assert (alpha["label"], alpha["owned"], alpha["breached"]) == ("Alpha", 7, 2)
    assert alpha["share"] == pytest.approx(2 / 7) and alpha["reassigned"] == 1
    actions = {
        (r["label"], r["action"]): (r["steps"], r["leads"])
        for r in report["tables"]["by_action"].rows
    }
    assert actions == {
        ("Fast SLA", "Remind the owner"): (2, 2),
        ("Pool aging", "Unclaimed in a pool: sent to the skim queue"): (1, 1),
        ("Any policy", "Reassign to the next eligible rep (the lead's rule)"): (1, None),
    }
    reps = {r["label"]: (r["reminders"], r["taken"]) for r in report["tables"]["by_rep"].rows}
    assert reps == {"Bo Brito": (1, 1), "Ana Alves": (1, 0)}
    assert [r["label"] for r in report["tables"]["by_rep"].rows][0] == "Bo Brito"
    stats = {s.label: s.value for s in report["stats"]}
    assert stats["leads reassigned for being untouched"] == 1
    # Policies switched off since: a team whose period had breaches keeps its rate.
    SlaPolicy.objects.update(is_active=False)
    admin = UserFactory(roles=[Role.ADMIN])
    rows = {r["label"]: r["share"] for r in _report(admin)["tables"]["breaches"].rows}
    assert rows == {"Alpha": pytest.approx(2 / 7), "Beta": pytest.approx(1 / 2)}
    # A team no policy covers has no breach rate (it read 0.0 %), and says why; nor has the
    # headline when no team is covered.
    LeadEvent.objects.filter(kind=LeadEvent.Kind.ESCALATED).delete()
    Lead.objects.update(reassignments=0)
    report = _report(admin)
    rows = {r["label"]: r["share"] for r in report["tables"]["breaches"].rows}
    assert rows == {"Alpha (no SLA policy)": None, "Beta (no SLA policy)": None}
    stats = {s.label: s.shown for s in report["stats"]}
    assert stats["breached the first SLA step"] == "—"


def test_escalation_report_makes_the_same_number_of_queries_however_many_leads(queries_of):
    w = escalation_world()
    form, filters = report_filters(user=w.manager, data={})
    before = queries_of(lambda: escalation_report(filters))
    policy = SlaPolicy.objects.get()
    for _ in range(6):
        one = lead(team=w.team_a, owner=w.bo, assigned=10, reassignments=2)
        _escalated(one, policy=policy.pk, step=1, action="notify_manager")
        Notification.objects.create(user=w.bo, kind=N.REASSIGNED_AWAY, lead=one, text="…")
    assert queries_of(lambda: escalation_report(filters)) == before


def test_other_teams_manager_sees_none_of_this_teams_figures(client_for):
    w = escalation_world()
    url = reverse("reports:escalations")
    assert "Bo Brito" in client_for(w.manager).get(url).content.decode()
    client = client_for(w.manager_b)
    body = client.get(url).content.decode()
    assert "Bo Brito" not in body and "Ana Alves" not in body and "Alpha" not in body
    assert client.get(url, {"team": w.team_a.pk}).status_code == 404
    assert client_for(w.ana).get(url).status_code == 403


def test_csv_of_breaches(client_for):
    w = escalation_world()
    response = client_for(w.manager).get(
        reverse("reports:escalations"), {"format": "csv", "table": "breaches"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Team", "Reached an owner", "Breached", "Breach rate (%)"]
    assert rows[1][:4] == ["Alpha", "7", "2", "28.6"]
