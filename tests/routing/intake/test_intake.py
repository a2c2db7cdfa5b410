"""Hand-off from capture to routing: one intake drain per burst, never a stranded lead.

The publishes counted here are real messages in the Redis broker queue, the flag is the
real key in the real Redis, and the drains run against PostgreSQL."""

import json
import threading
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

import leadroute.shared.redis_client
from pools.capture.services import lead_capture
from pools.lifecycle import LeadState
from pools.models import Lead
from pools.signals import leads_waiting_on_commit
from routing.intake import drain as intake
from routing.intake.pending import intake_pending_key
from routing.models import RoutingDecision
from routing.tasks import intake_drain, sweep
from tests.servers import celery_worker, free_port

INTAKE_DRAIN_TASK = intake_drain.name
QUEUE = "celery"  # Celery's default queue, where the kick publishes
WAITING = (LeadState.NEW, LeadState.SCREENED)


def _broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def queued_tasks() -> list[str]:
    """The names of the tasks waiting in the broker queue, oldest first (kombu LPUSHes)."""
    return [json.loads(m)["headers"]["task"] for m in reversed(_broker().lrange(QUEUE, 0, -1))]


@pytest.fixture(autouse=True)
def no_pending_drain():
    """No flag and no queued message left over from another test, before or after."""
    flag = leadroute.shared.redis_client.redis_client()
    flag.delete(intake_pending_key())
    _broker().delete(QUEUE)
    yield
    flag.delete(intake_pending_key())
    _broker().delete(QUEUE)


def post(api, capture, n: int, tag: str = "b") -> list[int]:
    ids = []
    for i in range(n):
        with capture(execute=True):  # the request's commit runs its on-commit kick
            response = api.post_json("/api/leads", {"email": f"{tag}{i}@example.com"})
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    return ids


@pytest.mark.django_db
def test_a_burst_of_captures_publishes_one_drain_which_routes_them_all(
    api, source, django_capture_on_commit_callbacks
):
    ids = post(api, django_capture_on_commit_callbacks, 20)
    assert queued_tasks() == [INTAKE_DRAIN_TASK]
    assert set(Lead.objects.values_list("status", flat=True)) == {LeadState.NEW}

    assert intake_drain.run() == 20  # what the worker does with that one message
    assert Lead.objects.filter(pk__in=ids, status=LeadState.POOLED).count() == 20
    # The drain cleared the flag before it looked, so the next lead publishes again.
    post(api, django_capture_on_commit_callbacks, 1, tag="next")
    assert queued_tasks() == [INTAKE_DRAIN_TASK] * 2


@pytest.mark.django_db
def test_pools_signal_waiting_leads_after_commit_and_routing_kicks_one_drain(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        leads_waiting_on_commit(lead_ids=[1, 2])  # an import's chunk, say
        leads_waiting_on_commit(lead_ids=[3])
        assert queued_tasks() == []  # nobody hears of leads that may yet roll back
    assert queued_tasks() == [INTAKE_DRAIN_TASK]


@pytest.mark.django_db
def test_with_redis_down_every_capture_publishes_a_drain(
    api, source, django_capture_on_commit_callbacks, monkeypatch
):
    # The request path's Redis client points at a port nobody listens on (the broker,
    # a separate connection, still works): rate limit and key cache degrade as designed,
    # and the kick cannot tell whether a drain is pending, so it publishes.
    down = redis.Redis.from_url(
        f"redis://127.0.0.1:{free_port()}/0", socket_timeout=1, socket_connect_timeout=1
    )
    monkeypatch.setattr(leadroute.shared.redis_client, "_client", down)
    ids = post(api, django_capture_on_commit_callbacks, 3)
    assert queued_tasks() == [INTAKE_DRAIN_TASK] * 3
    assert intake_drain.run() == 3  # and the drain does not fail on the flag either
    assert Lead.objects.filter(pk__in=ids, status=LeadState.POOLED).count() == 3


@pytest.mark.django_db
def test_a_flag_left_without_a_drain_is_recovered_by_the_sweep(
    api, source, eager_celery, django_capture_on_commit_callbacks
):
    # A drain was published and lost (a broker restart, say): its flag is still there,
    # so the captures publish nothing and their leads wait.
    leadroute.shared.redis_client.redis_client().set(intake_pending_key(), 1, ex=60)
    ids = post(api, django_capture_on_commit_callbacks, 3)
    waiting = Lead.objects.filter(pk__in=ids, status__in=WAITING)
    assert waiting.count() == 3

    assert sweep.apply().get()["intake_overdue"] == 0  # within the grace period: no drain
    assert waiting.count() == 3

    overdue = timezone.now() - timedelta(seconds=settings.INTAKE_SWEEP_GRACE_SECONDS + 1)
    Lead.objects.filter(pk__in=ids).update(updated_at=overdue)
    assert sweep.apply().get()["intake_overdue"] == 3  # eager: the forced drain ran here
    assert not waiting.exists()
    assert Lead.objects.filter(pk__in=ids, status=LeadState.POOLED).count() == 3


@pytest.mark.django_db
def test_one_failing_lead_does_not_hold_up_the_others(source):
    good = [
        Lead.objects.create(source=source, team=source.team, email=f"g{i}@example.com")
        for i in range(2)
    ]
    bad = Lead.objects.create(source=source, team=source.team, email="bad@example.com")
    later = Lead.objects.create(source=source, team=source.team, email="g2@example.com")
    # A real database error for one lead only (rolled back with the test's transaction).
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_lead() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER refuse_bad BEFORE UPDATE ON {Lead._meta.db_table} FOR EACH ROW "
            f"WHEN (OLD.email = 'bad@example.com') EXECUTE FUNCTION refuse_lead()"
        )

    drained = intake.waiting_leads_drain()
    assert drained.finished and drained.failed == (bad.pk,) and drained.routed == 3
    assert Lead.objects.get(pk=bad.pk).status == LeadState.NEW  # for the sweep to retry
    assert set(
        Lead.objects.filter(pk__in=[*[g.pk for g in good], later.pk]).values_list(
            "status", flat=True
        )
    ) == {LeadState.POOLED}
    # When nothing at all goes through, the task raises (and Celery retries it).
    with pytest.raises(intake.IntakeFailed):
        intake.waiting_leads_drain()


@pytest.mark.django_db(transaction=True)
def test_a_drain_stopped_by_its_caps_publishes_its_successor(source, monkeypatch):
    for i in range(3):
        lead_capture(source=source, fields={"email": f"cap{i}@example.com"})
    _broker().delete(QUEUE)  # the captures' own kick, taken by the "worker": this drain
    monkeypatch.setattr(intake, "INTAKE_BATCH", 1)
    monkeypatch.setattr(
        intake.waiting_leads_drain, "__kwdefaults__", {"max_batches": 2, "max_seconds": 60}
    )
    assert intake_drain.run() == 2
    assert queued_tasks() == [INTAKE_DRAIN_TASK]  # one lead still waits: a successor
    assert intake_drain.run() == 1
    assert queued_tasks() == [INTAKE_DRAIN_TASK]  # (the first successor, still queued)


@pytest.mark.django_db(transaction=True)
def test_a_lead_committed_just_after_a_drains_last_look_gets_a_drain_of_its_own(
    source, monkeypatch
):
    """The narrowest window, forced: a lead commits (and kicks) right after the drain's
    last, empty SELECT. The drain has cleared the flag before looking, so this kick
    publishes; a drain that cleared it only on its way out would strand the lead."""
    lead_capture(source=source, fields={"email": "first@example.com"})
    assert queued_tasks() == [INTAKE_DRAIN_TASK]
    _broker().delete(QUEUE)  # taken by the "worker": the drain below
    look = intake._drain_batch
    late = []

    def look_then_capture(**kwargs):
        taken, broken = look(**kwargs)
        if not taken and not late:  # committed after the look, before the drain returns
            late.append(lead_capture(source=source, fields={"email": "late@example.com"}))
        return taken, broken

    monkeypatch.setattr(intake, "_drain_batch", look_then_capture)
    assert intake_drain.run() == 1
    assert Lead.objects.get(pk=late[0].lead.pk).status == LeadState.NEW
    assert queued_tasks() == [INTAKE_DRAIN_TASK]  # the late lead's own drain
    monkeypatch.undo()
    assert intake_drain.run() == 1
    assert not Lead.objects.filter(status__in=WAITING).exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_captures_and_drains_route_every_lead_once(source, monkeypatch):
    """Three clients capture while two workers drain (threads, each with its own
    PostgreSQL connection; the workers take the real messages off the broker queue). Small
    batches make each drain take several turns, so leads keep committing while drains
    run. No lead may be left waiting — nobody runs a drain the kicks did not ask for, and
    there is no sweep — and none may be routed twice."""
    monkeypatch.setattr(intake, "INTAKE_BATCH", 5)
    writers_done, errors, drains = threading.Event(), [], []

    def capture(t: int) -> None:
        for i in range(40):
            lead_capture(source=source, fields={"email": f"w{t}-{i}@example.com"})

    def work() -> None:
        broker = _broker()
        while True:
            popped = broker.brpop(QUEUE, timeout=0.3)
            if popped is None:
                if writers_done.is_set():
                    return  # every kick happened before writers_done: the queue is empty
                continue
            drains.append(json.loads(popped[1])["headers"]["task"])
            intake_drain.run()

    def guarded(fn, *args):
        try:
            fn(*args)
        except Exception as exc:  # surfaced below: a thread's failure fails the test
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=guarded, args=(work,)) for _ in range(2)]
    writers = [threading.Thread(target=guarded, args=(capture, t)) for t in range(3)]
    for t in workers + writers:
        t.start()
    for t in writers:
        t.join()
    writers_done.set()
    for t in workers:
        t.join()
    assert not errors, errors
    assert set(drains) == {INTAKE_DRAIN_TASK}
    assert not Lead.objects.filter(status__in=WAITING).exists()
    assert Lead.objects.filter(status=LeadState.POOLED).count() == 120
    assert RoutingDecision.objects.count() == 120
    assert RoutingDecision.objects.values("lead").distinct().count() == 120


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_routes_a_burst_of_api_leads(api_key, source):
    """End to end: API posts from three threads, a real Celery worker, no sweep."""
    errors = []

    def client(t: int) -> None:
        api = Client(HTTP_AUTHORIZATION=f"Bearer {api_key}")  # one per thread
        try:
            for i in range(15):
                response = api.post(
                    "/api/leads",
                    {"email": f"r{t}-{i}@example.com"},
                    content_type="application/json",
                )
                assert response.status_code == 201, response.content
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    with celery_worker(QUEUE):
        threads = [threading.Thread(target=client, args=(t,)) for t in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        deadline = time.monotonic() + 60
        while Lead.objects.filter(status__in=WAITING).exists() and time.monotonic() < deadline:
            time.sleep(0.25)
    assert not errors, errors
    assert Lead.objects.filter(status=LeadState.POOLED).count() == 45


@pytest.mark.django_db
def test_with_the_broker_unreachable_a_capture_still_answers_and_the_sweep_drains_later(
    api, source, eager_celery, django_capture_on_commit_callbacks, monkeypatch
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):  # what kombu raises when Redis refuses the publish
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as outage:
        outage.setattr(intake_drain, "apply_async", broker_down)
        ids = post(api, django_capture_on_commit_callbacks, 2)  # 201 each: the leads exist
        # The kick gave its flag back, so the next capture tries to publish again.
        assert not leadroute.shared.redis_client.redis_client().exists(intake_pending_key())
    waiting = Lead.objects.filter(pk__in=ids, status__in=WAITING)
    assert waiting.count() == 2
    overdue = timezone.now() - timedelta(seconds=settings.INTAKE_SWEEP_GRACE_SECONDS + 1)
    Lead.objects.filter(pk__in=ids).update(updated_at=overdue)
    assert sweep.apply().get()["intake_overdue"] == 2  # the broker is back
    assert not waiting.exists()
