"""A kept replay's life: asked for (queued, its task sent on commit), taken by one worker,
the live rules and the draft replayed over the same leads with progress pushed to the run's
page, the results kept in one transaction — or cancelled, or failed with why.

Cancelling is a row update the replay's progress callback sees at its next report (the
same UPDATE that saves the progress finds the run no longer running and stops it), so no
worker is signalled and nothing partial is kept. A worker killed mid-run leaves the run
"running" with an old `progress_at`; the sweep marks it failed after
SIMULATOR_STALE_MINUTES (routing.services.sweep_run).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Team
from leadroute.shared.live import broadcast_on_commit, live_signal, simulation_group
from leadroute.shared.on_commit import enqueue_on_commit

from ..models import RuleSet
from ..rules.models import live_rule_set_id
from .book import ASSUMPTIONS
from .models import SimulationLead, SimulationRun
from .replay import Replay, replay_leads, rule_set_replay

log = logging.getLogger(__name__)
State = SimulationRun.State
# Rows per INSERT when the results are kept.
CHUNK = 2000
# A progress frame at most this often (the replay reports every PROGRESS_EVERY leads).
FRAME_EVERY_SECONDS = 0.5
# The page re-reads the run when this fires (the run finished, failed or was cancelled).
FINISHED_EVENT = "simulation-finished"


class ReplayStopped(Exception):
    """The run is no longer running (cancelled, or failed by the sweep): stop, keep nothing."""


class RunRefused(Exception):
    """Why a replay cannot be asked for (shown to the person as it is)."""


def simulation_run_create(
    *,
    user: AbstractBaseUser,
    draft: RuleSet,
    start: datetime,
    end: datetime,
    team: Team | None,
    send: bool = True,
) -> SimulationRun:
    """Queue a replay of `draft` and of the live rules over the leads of [start, end) (of
    `team`, or every team); its task is sent once the row is committed. `send=False`: no
    task, the caller carries the run out (`simulation_run_execute`: a bench, a test)."""
    if draft.state != RuleSet.State.DRAFT:
        raise RunRefused(f"“{draft.name}” is not a draft: only drafts are replayed.")
    if end <= start:
        raise RunRefused("The period ends before it starts.")
    with transaction.atomic():
        live = RuleSet.objects.get(pk=live_rule_set_id())
        run = SimulationRun.objects.create(
            created_by=user,
            draft=draft,
            draft_name=draft.name,
            live=live,
            live_name=live.name,
            start=start,
            end=end,
            team=team,
            assumptions=list(ASSUMPTIONS),
        )
        if send:
            enqueue_on_commit(simulation_run, run.pk)
    return run


def simulation_run_cancel(*, run_id: int) -> bool:
    """Cancel a queued or running replay; False when it had already finished. A running
    task stops at its next progress report."""
    with transaction.atomic():
        cancelled = SimulationRun.objects.filter(
            pk=run_id, state__in=(State.QUEUED, State.RUNNING)
        ).update(state=State.CANCELLED, finished_at=timezone.now())
        if cancelled:
            _frame_on_commit(SimulationRun.objects.get(pk=run_id))
    return bool(cancelled)


def simulation_run_execute(*, run_id: int) -> str:
    """Take the run and carry it out; returns the run's state after (a run someone else
    took, or that finished, is left as it is)."""
    run = simulation_run_take(run_id=run_id)
    if run is None:
        state = SimulationRun.objects.filter(pk=run_id).values_list("state", flat=True).first()
        return state or "missing"
    return simulation_run_carry_out(run=run)


def simulation_run_take(*, run_id: int) -> SimulationRun | None:
    """queued → running, one conditional UPDATE: of two deliveries of the task, one runs it."""
    now = timezone.now()
    taken = SimulationRun.objects.filter(pk=run_id, state=State.QUEUED).update(
        state=State.RUNNING, started_at=now, progress_at=now
    )
    if not taken:
        return None
    run = SimulationRun.objects.select_related("draft").get(pk=run_id)
    _frame_on_commit(run)
    return run


def simulation_run_carry_out(*, run: SimulationRun) -> str:
    """Replay a taken run and keep its results: done; or cancelled meanwhile (nothing
    kept); or failed, with the error kept for its page."""
    try:
        simulation_run_replay(run=run)
    except ReplayStopped:
        return SimulationRun.objects.values_list("state", flat=True).get(pk=run.pk)
    except Exception as exc:
        log.exception("Replay %s failed", run.pk)
        error = str(exc) if isinstance(exc, RunRefused) else f"{type(exc).__name__}: {exc}"
        with transaction.atomic():
            failed = SimulationRun.objects.filter(pk=run.pk, state=State.RUNNING).update(
                state=State.FAILED, error=error[:500], finished_at=timezone.now()
            )
            if failed:
                _frame_on_commit(SimulationRun.objects.get(pk=run.pk))
        return SimulationRun.objects.values_list("state", flat=True).get(pk=run.pk)
    return State.DONE


def simulation_run_replay(*, run: SimulationRun) -> None:
    """The replays and the keeping of a taken run; raises ReplayStopped when the run stops
    being "running" meanwhile (nothing is kept then)."""
    if run.draft is None:
        raise RunRefused("The draft was deleted before the replay started.")
    live = RuleSet.objects.get(pk=run.live_id) if run.live_id else None
    if live is None:
        raise RunRefused("The live rules the replay was asked against are gone.")
    n = replay_leads(start=run.start, end=run.end, team_id=run.team_id).count()
    progress = RunProgress(run=run, total=2 * n)
    progress(0, n)  # the total, on the page at once
    period = {"start": run.start, "end": run.end, "team_id": run.team_id}
    live_replay = rule_set_replay(rule_set=live, progress=progress, **period)
    progress.offset = len(live_replay.leads)
    draft_replay = rule_set_replay(rule_set=run.draft, progress=progress, **period)
    _keep(run=run, live=live_replay, draft=draft_replay)


class RunProgress:
    """The replay's progress callback: saves how far the run got (one UPDATE that is also
    the cancel check) and pushes a frame to the run's page, at most every
    FRAME_EVERY_SECONDS."""

    def __init__(self, *, run: SimulationRun, total: int):
        self.run, self.total, self.offset = run, total, 0
        self.framed_at = 0.0

    def __call__(self, done: int, _of: int) -> None:
        run = self.run
        run.done, run.total, run.progress_at = self.offset + done, self.total, timezone.now()
        still = SimulationRun.objects.filter(pk=run.pk, state=State.RUNNING).update(
            done=run.done, total=run.total, progress_at=run.progress_at
        )
        if not still:
            raise ReplayStopped
        if time.monotonic() - self.framed_at >= FRAME_EVERY_SECONDS or run.done == run.total:
            self.framed_at = time.monotonic()
            _frame_on_commit(run)


def _keep(*, run: SimulationRun, live: Replay, draft: Replay) -> None:
    """Every lead's row and the totals, in one transaction that commits only if the run is
    still running (a cancel that came after the last progress report wins)."""
    drafted = {r.lead_id: r for r in draft.leads}
    rows = []
    for a in live.leads:
        b = drafted.get(a.lead_id)
        if b is None:  # deleted between the two replays: not comparable
            continue
        rows.append(
            SimulationLead(
                run=run,
                lead_id=a.lead_id,
                at=a.at,
                really_to=a.recorded_to,
                really_rep_id=a.recorded_rep_id,
                live_to=a.to,
                live_rep_id=a.rep_id,
                live_pool_id=a.pool_id,
                live_rule=a.rule_name[:100],
                live_fallback=a.fallback,
                live_nobody=a.nobody,
                live_capped=list(a.capped),
                draft_to=b.to,
                draft_rep_id=b.rep_id,
                draft_pool_id=b.pool_id,
                draft_rule=b.rule_name[:100],
                draft_fallback=b.fallback,
                draft_nobody=b.nobody,
                draft_capped=list(b.capped),
                changed=(a.to, a.rep_id, a.pool_id) != (b.to, b.rep_id, b.pool_id),
            )
        )
    with transaction.atomic():
        now = timezone.now()
        kept = SimulationRun.objects.filter(pk=run.pk, state=State.RUNNING).update(
            state=State.DONE,
            done=run.total,
            finished_at=now,
            progress_at=now,
            totals={
                "really": _really(live),
                "live": _totals(live),
                "draft": _totals(draft),
                "changed": sum(row.changed for row in rows),
            },
        )
        if not kept:
            raise ReplayStopped  # rolls the rows back with it
        for i in range(0, len(rows), CHUNK):
            SimulationLead.objects.bulk_create(rows[i : i + CHUNK])
        run.refresh_from_db()
        _frame_on_commit(run)


def _keyed(counter: Counter) -> dict[str, int]:
    # JSON object keys are strings; the page reads them back as ids.
    return {str(k): v for k, v in counter.items() if k is not None}


def _totals(replay: Replay) -> dict:
    return {
        "leads": len(replay.leads),
        "per_rep": _keyed(replay.per_rep),
        "outcomes": dict(replay.outcomes),
        "pools": _keyed(replay.pools),
        "cap_hits": _keyed(replay.cap_hits),
        "fallbacks": replay.fallbacks,
        "nobody": replay.nobody,
        "same_as_recorded": replay.same_as_recorded,
        "seconds": round(replay.seconds, 3),
    }


def _really(replay: Replay) -> dict:
    """What the recorded first decisions did with the same leads."""
    leads = replay.leads
    return {
        "leads": len(leads),
        "per_rep": _keyed(Counter(r.recorded_rep_id for r in leads if r.recorded_to == "assigned")),
        "outcomes": dict(Counter(r.recorded_to for r in leads if r.recorded_to)),
    }


def simulation_runs_stale_fail(*, now: datetime | None = None) -> int:
    """Fail the runs that have said nothing for SIMULATOR_STALE_MINUTES while running: a
    worker that died (their task is not redelivered to a second take). Idempotent."""
    now = now or timezone.now()
    minutes = settings.SIMULATOR_STALE_MINUTES
    stale = list(
        SimulationRun.objects.filter(
            state=State.RUNNING, progress_at__lt=now - timedelta(minutes=minutes)
        ).values_list("pk", flat=True)
    )
    failed = 0
    for run_id in stale:
        with transaction.atomic():
            if SimulationRun.objects.filter(pk=run_id, state=State.RUNNING).update(
                state=State.FAILED,
                error=f"No progress for {minutes} minutes: the worker running it stopped. "
                "Start the replay again.",
                finished_at=now,
            ):
                failed += 1
                _frame_on_commit(SimulationRun.objects.get(pk=run_id))
    return failed


def simulation_progress_html(run: SimulationRun, *, frame: bool = False) -> str:
    return render_to_string(
        "routing/simulator/_progress.html",
        {"run": run, "frame": frame, "stale_minutes": settings.SIMULATOR_STALE_MINUTES},
    )


def _frame_on_commit(run: SimulationRun) -> None:
    """The run's progress bar to its page; a finished run also has the page re-read the run
    (its results, or why it stopped)."""
    html = simulation_progress_html(run, frame=True)
    if run.is_finished:
        html += live_signal(FINISHED_EVENT)
    broadcast_on_commit(simulation_group(run.pk), html=html)


@shared_task(name="routing.tasks.simulation_run")
def simulation_run(run_id: int) -> str:
    """Run one kept replay. Not auto-retried: a failure is shown on the run's page (start
    another); a second delivery finds the run taken and does nothing."""
    return simulation_run_execute(run_id=run_id)
