"""End to end: a replay queued on commit, run by a real Celery worker against Redis, its
progress reaching the run page's socket through the real channel layer, its results kept."""

from datetime import UTC, datetime, timedelta

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.test import Client

from leadroute.asgi import application
from routing.engine import lead_route
from routing.models import RoutingRule, SimulationLead, SimulationRun
from routing.simulator.drafts import rule_set_copy_live
from routing.simulator.runs import simulation_run_create
from tests.factories import TeamFactory, UserFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead
from tests.servers import celery_worker

QUEUE = "celery"  # where enqueue_on_commit publishes
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_queue():
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(QUEUE)
    yield
    broker.delete(QUEUE)


def _world() -> tuple[SimulationRun, bytes]:
    from accounts.roles import Role

    team = TeamFactory()
    reps = [make_rep(team=team) for _ in range(3)]
    RuleFactory(team=team, method=RoutingRule.Method.ROUND_ROBIN)
    for i in range(9):
        at = T0 + timedelta(minutes=i)
        lead_route(lead=screened_lead(team=team, created_at=at), now=at)
    draft = rule_set_copy_live(name="Load balanced")
    draft.rules.update(method=RoutingRule.Method.DIRECT, direct_rep=reps[0])
    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    # Queued (the task published at once: no transaction around) before any worker runs.
    run = simulation_run_create(
        user=admin, draft=draft, start=T0, end=T0 + timedelta(days=1), team=team
    )
    client = Client()
    client.force_login(admin)
    return run, f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
async def test_a_real_worker_runs_the_replay_and_its_page_watches_it_progress():
    try:
        await _replay_watched()
    finally:
        # sync_to_async's thread keeps its own connection: closed, or the test database
        # cannot be dropped at the end of a run that ends with this test.
        await sync_to_async(lambda: connection.close())()


async def _replay_watched():
    run, cookie = await sync_to_async(_world)()
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    headers.append((b"cookie", cookie))
    socket = WebsocketCommunicator(application, f"/ws/live/?simulation={run.pk}", headers)
    assert (await socket.connect())[0]
    frames = []
    with celery_worker(QUEUE):
        while "simulation-finished" not in (frames[-1] if frames else ""):
            frames.append(await socket.receive_from(timeout=60))
    await socket.disconnect()
    progress = [f for f in frames if 'id="simulation-progress"' in f]
    assert progress and all('hx-swap-oob="true"' in f for f in progress)
    assert "Running" in progress[0]  # taken
    assert any("of 18 lead replays" in f for f in frames)  # the live rules and the draft
    assert "Done" in frames[-1] and 'data-live-event="simulation-finished"' in frames[-1]
    kept = await sync_to_async(SimulationRun.objects.get)(pk=run.pk)
    assert kept.state == SimulationRun.State.DONE and kept.done == kept.total == 18
    rows = await sync_to_async(SimulationLead.objects.filter(run=kept).count)()
    assert rows == 9 and kept.totals["changed"] == 6
