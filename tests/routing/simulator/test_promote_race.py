"""Switching the live rules while leads are being routed: real threads, each on its own
PostgreSQL connection. Every lead is routed wholly by one set, and round robin runs on
across the switches as if there had been none."""

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from accounts.models import RepProfile
from pools.lifecycle import LeadState
from pools.models import Lead
from routing.engine import leads_route
from routing.models import RoutingDecision, RoutingRule, RuleSet
from routing.simulator.drafts import rule_set_copy_live
from routing.simulator.promote import rule_set_promote, rule_set_rollback
from tests.factories import TeamFactory, UserFactory, make_rep
from tests.routing_factories import RuleFactory

pytestmark = pytest.mark.django_db(transaction=True)
LEADS = 240
BATCH = 4
SWITCHES = 6


def test_each_lead_is_routed_wholly_by_the_old_or_the_new_set_while_they_switch(team):
    reps = [make_rep(team=team) for _ in range(5)]
    away = make_rep(team=TeamFactory(), availability=RepProfile.Availability.AWAY)
    # Every lead takes two rules: the first finds nobody and falls back to the second.
    everyone = RuleFactory(name="Everyone", priority=9, team=team, method="round_robin")
    RuleFactory(
        name="Away first",
        priority=1,
        team=team,
        target=RoutingRule.Target.REPS,
        rep_list=[away],
        fallback=RoutingRule.Fallback.RULE,
        fallback_rule=everyone,
    )
    first = RuleSet.objects.live().get()
    second = rule_set_copy_live(name="Same rules, other set")
    admin = UserFactory(is_staff=True, is_superuser=True)
    ids = [
        lead.pk
        for lead in Lead.objects.bulk_create(
            [
                Lead(status=LeadState.SCREENED, email=f"r{i}@example.test", team=team)
                for i in range(LEADS)
            ]
        )
    ]
    halfway, switched = threading.Event(), threading.Event()
    errors = []

    def route():
        for start in range(0, LEADS, BATCH):
            if start == LEADS // 3:
                halfway.set()
                switched.wait(30)  # the first switch lands; the others race the batches
            with transaction.atomic():
                leads = list(
                    Lead.objects.select_for_update()
                    .filter(pk__in=ids[start : start + BATCH])
                    .order_by("id")
                )
                leads_route(leads=leads)

    def switch():
        halfway.wait(30)
        for n in range(SWITCHES):
            target = RuleSet.objects.get(pk=(second if n % 2 == 0 else first).pk)
            if target.state == RuleSet.State.DRAFT:
                rule_set_promote(rule_set=target, user=admin)
            else:
                rule_set_rollback(version=target, user=admin)
            switched.set()

    def run(work):
        try:
            work()
        except Exception as exc:  # surfaced below: a thread's failure fails the test
            errors.append(exc)
            halfway.set()
            switched.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in (route, switch)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    set_of = dict(RoutingRule.objects.values_list("pk", "rule_set_id"))
    used = Counter()
    for details in RoutingDecision.objects.values_list("details", flat=True):
        steps = [step["rule"] for step in details["steps"]]
        assert len(steps) == 2  # "Away first", then its fallback
        sets = {set_of[rule_id] for rule_id in steps}
        assert len(sets) == 1, details
        used[sets.pop()] += 1
    assert sum(used.values()) == LEADS
    assert set(used) == {first.pk, second.pk}  # both sets routed some
    # Round robin went on across the switches: the pointer moved with each.
    owners = Counter(Lead.objects.values_list("owner_id", flat=True))
    assert set(owners) == {r.pk for r in reps}
    assert max(owners.values()) - min(owners.values()) <= 1
