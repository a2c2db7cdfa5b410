"""Two managers assigning one lead at once: PostgreSQL decides, one wins."""

import threading

import pytest
from django.db import connection

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from routing.desk.services import TAKEN, DeskError, lead_hand_assign
from routing.models import RoutingDecision
from tests.factories import make_manager, make_rep

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 100


def test_two_managers_assigning_one_lead_at_once_have_exactly_one_winner(team):
    managers = [make_manager(teams=[team]) for _ in range(2)]
    reps = [make_rep(team=team) for _ in range(2)]
    leads = Lead.objects.bulk_create(
        [
            Lead(status=LeadState.SKIMMING, team=team, email=f"r{i}@example.test")
            for i in range(ROUNDS)
        ]
    )
    barrier = threading.Barrier(2)
    results = [[None, None] for _ in range(ROUNDS)]

    def manager_at_desk(i):
        try:
            for r, lead in enumerate(leads):
                barrier.wait(timeout=30)
                try:
                    lead_hand_assign(
                        manager=managers[i], lead_id=lead.pk, rep_id=reps[i].pk, seen="skimming:"
                    )
                    results[r][i] = "won"
                except DeskError as exc:
                    results[r][i] = exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=manager_at_desk, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    for r, lead in enumerate(leads):
        outcome = sorted(results[r], key=lambda x: x != "won")
        assert outcome == ["won", TAKEN], (r, results[r])
        winner = results[r].index("won")
        lead.refresh_from_db()
        assert (lead.status, lead.owner_id) == (LeadState.ASSIGNED, reps[winner].pk)
    assert RoutingDecision.objects.count() == ROUNDS
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.ASSIGNED).count() == ROUNDS
