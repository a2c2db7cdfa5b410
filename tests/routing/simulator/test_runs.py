"""Kept replays: a run replays the live rules and the draft over the same leads and keeps
both beside what really happened; it can be cancelled (nothing kept), it fails with its
error, a dead worker's run is failed by the sweep, and a second delivery does nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from routing.engine import lead_route
from routing.models import RoutingRule, RuleSet, SimulationLead, SimulationRun
from routing.services import sweep_run
from routing.simulator.drafts import rule_set_copy_live
from routing.simulator.runs import (
    simulation_run_cancel,
    simulation_run_carry_out,
    simulation_run_create,
    simulation_run_execute,
    simulation_run_take,
)
from tests.factories import make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db
M = RoutingRule.Method
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
State = SimulationRun.State


@pytest.fixture
def world(team, admin_user):
    """Six leads dealt round robin to a, b, c for real; a draft that sends them all to c."""
    a, b, c = make_rep(team=team), make_rep(team=team), make_rep(team=team)
    RuleFactory(team=team, method=M.ROUND_ROBIN)
    for i in range(6):
        at = T0 + timedelta(minutes=i)
        lead_route(lead=screened_lead(team=team, created_at=at), now=at)
    draft = rule_set_copy_live(name="Everything to c")
    draft.rules.update(method=M.DIRECT, direct_rep=c)
    return {"reps": (a, b, c), "draft": draft, "admin": admin_user}


def queue(world, team) -> SimulationRun:
    return simulation_run_create(
        user=world["admin"],
        draft=world["draft"],
        start=T0 - timedelta(hours=1),
        end=T0 + timedelta(days=1),
        team=team,
    )


def test_a_run_keeps_the_live_rules_and_the_draft_beside_what_really_happened(world, team):
    a, b, c = world["reps"]
    run = queue(world, team)
    assert run.state == State.QUEUED
    assert simulation_run_execute(run_id=run.pk) == State.DONE
    run.refresh_from_db()
    assert (run.state, run.done, run.total, run.error) == (State.DONE, 12, 12, "")
    assert run.finished_at is not None and run.live_name == RuleSet.LIVE_NAME
    rows = list(SimulationLead.objects.filter(run=run).order_by("at"))
    assert [r.really_rep_id for r in rows] == [a.pk, b.pk, c.pk] * 2
    assert [r.live_rep_id for r in rows] == [a.pk, b.pk, c.pk] * 2  # the live rules replayed
    assert [r.draft_rep_id for r in rows] == [c.pk] * 6
    assert [r.changed for r in rows] == [True, True, False] * 2
    totals = run.totals
    assert totals["changed"] == 4
    assert totals["really"]["per_rep"] == {str(a.pk): 2, str(b.pk): 2, str(c.pk): 2}
    assert totals["live"]["same_as_recorded"] == 6 and totals["draft"]["same_as_recorded"] == 2
    assert totals["draft"]["per_rep"] == {str(c.pk): 6}
    assert totals["draft"]["outcomes"] == {"assigned": 6}


def test_a_second_delivery_of_the_task_does_nothing(world, team):
    run = queue(world, team)
    assert simulation_run_execute(run_id=run.pk) == State.DONE
    assert simulation_run_execute(run_id=run.pk) == State.DONE
    assert SimulationLead.objects.filter(run=run).count() == 6


def test_a_cancelled_run_stops_at_its_next_progress_report_and_keeps_nothing(world, team):
    run = queue(world, team)
    taken = simulation_run_take(run_id=run.pk)
    assert taken is not None and taken.state == State.RUNNING
    assert simulation_run_cancel(run_id=run.pk)
    assert simulation_run_carry_out(run=taken) == State.CANCELLED
    run.refresh_from_db()
    assert run.state == State.CANCELLED and run.finished_at is not None
    assert not SimulationLead.objects.filter(run=run).exists() and run.totals == {}
    assert not simulation_run_cancel(run_id=run.pk)  # finished: nothing to cancel


def test_a_queued_run_cancelled_before_a_worker_takes_it_never_runs(world, team):
    run = queue(world, team)
    assert simulation_run_cancel(run_id=run.pk)
    assert simulation_run_execute(run_id=run.pk) == State.CANCELLED
    assert not SimulationLead.objects.filter(run=run).exists()


def test_a_failing_run_is_failed_with_its_error(world, team):
    run = queue(world, team)
    RuleSet.objects.filter(pk=world["draft"].pk).delete()  # gone before the worker came
    assert simulation_run_execute(run_id=run.pk) == State.FAILED
    run.refresh_from_db()
    assert run.state == State.FAILED
    assert run.error == "The draft was deleted before the replay started."


@override_settings(SIMULATOR_STALE_MINUTES=10)
def test_the_sweep_fails_a_run_whose_worker_went_silent(world, team):
    run = queue(world, team)
    simulation_run_take(run_id=run.pk)
    assert sweep_run()["replays_failed"] == 0  # alive: it just started
    SimulationRun.objects.filter(pk=run.pk).update(
        progress_at=timezone.now() - timedelta(minutes=11)
    )
    run.refresh_from_db()
    assert run.silent_minutes == 11  # the page says so before the sweep comes
    assert sweep_run()["replays_failed"] == 1
    run.refresh_from_db()
    assert run.state == State.FAILED and "No progress for 10 minutes" in run.error
    assert sweep_run()["replays_failed"] == 0


def test_only_a_draft_is_replayed(world, team):
    from routing.simulator.runs import RunRefused

    with pytest.raises(RunRefused, match="not a draft"):
        simulation_run_create(
            user=world["admin"],
            draft=RuleSet.objects.live().get(),
            start=T0,
            end=T0 + timedelta(days=1),
            team=team,
        )


def test_the_task_is_sent_only_when_the_run_commits(
    world, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        queue(world, team)
    assert len(callbacks) == 1  # the task's publish, after the commit
