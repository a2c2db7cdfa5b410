"""Escalation races on PostgreSQL with real parallel connections."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from pools.work.services import WorkError, lead_touch
from routing.engine import lead_route
from routing.escalation.sweep import escalation_sweep_run
from routing.models import SlaPolicy, SlaStep
from tests.factories import make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db(transaction=True)


def _together(*works):
    """Run each callable in its own thread and connection, released at once."""
    barrier = threading.Barrier(len(works))
    results, errors = [None] * len(works), []

    def run(i, work):
        try:
            barrier.wait()
            results[i] = work()
        except Exception as exc:  # noqa: BLE001  (returned to the test)
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(works)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    return results


def _overdue_leads(team, n, action):
    policy = SlaPolicy.objects.create(name="Fast", team=team)
    SlaStep.objects.create(policy=policy, after_minutes=15, action=action)
    RuleFactory(team=team)
    leads = []
    for _ in range(n):
        lead = screened_lead(team=team)
        lead_route(lead=lead)
        leads.append(lead.pk)
    # Assigned an hour ago and due now (as after the sweep's first look).
    past = timezone.now() - timedelta(hours=1)
    Lead.objects.filter(pk__in=leads).update(assigned_at=past, escalation_due_at=past)
    return leads


def test_two_sweeps_at_once_apply_each_step_once(team):
    make_rep(team=team)
    leads = _overdue_leads(team, 60, SlaStep.Action.REMIND)
    first, second = _together(
        lambda: escalation_sweep_run(batch_size=7), lambda: escalation_sweep_run(batch_size=7)
    )
    assert not isinstance(first, Exception) and not isinstance(second, Exception)
    assert first.get("remind", 0) + second.get("remind", 0) == 60
    per_lead = Counter(
        LeadEvent.objects.filter(kind=LeadEvent.Kind.ESCALATED).values_list("lead_id", flat=True)
    )
    assert per_lead == dict.fromkeys(leads, 1)
    assert not Lead.objects.filter(escalation_due_at__isnull=False).exists()


def test_a_touch_racing_a_reassignment_has_one_outcome_and_loses_no_touch(team):
    make_rep(team=team), make_rep(team=team)  # a second rep to reassign to
    leads = _overdue_leads(team, 12, SlaStep.Action.REASSIGN)
    outcomes = Counter()
    later = timezone.now() + timedelta(days=1)
    Lead.objects.filter(pk__in=leads).update(escalation_due_at=later)
    for lead_id in leads:  # one lead due at a time, each raced by a touch and a sweep
        Lead.objects.filter(pk=lead_id).update(escalation_due_at=timezone.now())
        owner = Lead.objects.get(pk=lead_id).owner
        touched, swept = _together(
            lambda owner=owner, lead_id=lead_id: lead_touch(
                user=owner, lead_id=lead_id, kind="call"
            ),
            escalation_sweep_run,
        )
        assert not isinstance(swept, Exception), swept
        lead = Lead.objects.get(pk=lead_id)
        touches = lead.events.filter(kind=LeadEvent.Kind.TOUCH).count()
        reassigned = lead.reassignments
        if isinstance(touched, WorkError):  # the sweep won: the rep was told, nothing kept
            assert touched.message == "This lead is not yours any more."
            assert touches == 0 and reassigned == 1 and lead.owner != owner
            outcomes["reassigned"] += 1
        else:  # the touch won: recorded, and the lead stays with its owner
            assert touched is None, touched
            assert touches == 1 and reassigned == 0 and lead.owner == owner
            assert lead.status == LeadState.CONTACTED and lead.escalation_due_at is None
            outcomes["touched"] += 1
    assert sum(outcomes.values()) == 12
    print(dict(outcomes))  # which side won how often, on this machine
