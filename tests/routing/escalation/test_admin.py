"""The admin refuses SLA and pool aging policies that could never do what they say, and
says in words what a pool aging policy does."""

import html

import pytest
from django.urls import reverse

from routing.models import PoolAgingPolicy, RoutingRule, SlaPolicy, SlaStep
from tests.factories import PoolFactory
from tests.routing_factories import RuleFactory

pytestmark = pytest.mark.django_db
A = SlaStep.Action


def _sla_post(client, team, steps, **fields):
    data = {
        "name": "Speed",
        "team": team.pk,
        "is_active": "on",
        "max_reassignments": 2,
        "steps-TOTAL_FORMS": len(steps),
        "steps-INITIAL_FORMS": 0,
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
        **fields,
    }
    for i, (minutes, action, *pool) in enumerate(steps):
        data |= {
            f"steps-{i}-after_minutes": minutes,
            f"steps-{i}-action": action,
            f"steps-{i}-pool": pool[0].pk if pool else "",
        }
    return client.post(reverse("admin:routing_slapolicy_add"), data)


def _errors(response) -> str:
    assert response.status_code == 200, "saved, where it should have been refused"
    context = response.context
    texts = [str(e) for e in context["adminform"].form.errors.values()]
    texts += [str(fs.non_form_errors()) for fs in context["inline_admin_formsets"]]
    texts += [str(f.errors) for fs in context["inline_admin_formsets"] for f in fs.formset]
    return html.unescape(" ".join(texts))


def test_sla_policies_that_could_never_act_as_written_are_refused(
    admin_user, client_for, team, other_team
):
    client = client_for(admin_user)
    theirs = PoolFactory(team=other_team, name="Their pool")
    cases = [
        ([], {}, "Add at least one step"),
        ([(15, A.REMIND), (15, A.NOTIFY_MANAGER)], {}, "Two steps at 15 min"),
        (
            [(15, A.SKIM), (30, A.REMIND)],
            {},
            "“Remind the owner” after 30 min would never run: at 15 min “Send to the "
            "manager's skim queue” has taken the lead",
        ),
        ([(15, A.POOL, theirs)], {}, f"Their pool is {other_team}'s pool"),
        (
            [(15, A.REMIND)],
            {"rule": RuleFactory(team=other_team, name="Theirs").pk},
            f"“Theirs” places leads with {other_team}",
        ),
    ]
    for steps, fields, message in cases:
        response = _sla_post(client, team, steps, **fields)
        assert message in _errors(response), message
    assert not SlaPolicy.objects.exists()
    # Steps before the one that moves the lead are fine, in any order typed.
    response = _sla_post(client, team, [(60, A.REASSIGN), (15, A.REMIND), (30, A.NOTIFY_MANAGER)])
    assert response.status_code == 302
    assert list(SlaPolicy.objects.get().steps.values_list("after_minutes", flat=True)) == [
        15,
        30,
        60,
    ]


def _aging_post(client, pool, **fields):
    data = {"pool": pool.pk, "after_minutes": 60, "action": "skim", "is_active": "on"}
    return client.post(reverse("admin:routing_poolagingpolicy_add"), data | fields)


def test_pool_aging_policies_that_make_no_sense_are_refused_and_the_list_says_what_each_does(
    admin_user, client_for, team, other_team
):
    client = client_for(admin_user)
    pool = PoolFactory(team=team, name="Open pool")
    push = RuleFactory(team=team, name="Push")
    cases = [
        ({"after_minutes": 0}, "At least one minute"),
        ({"rule": push.pk}, "Only “Route it” uses a rule"),
        (
            {"action": "route", "rule": RuleFactory(team=team, action="skim", name="Skim").pk},
            "“Skim” does not give the lead to a rep",
        ),
        (
            {"action": "route", "rule": RuleFactory(team=other_team, name="Theirs").pk},
            f"“Theirs” routes to {other_team}, not to {team}, whose pool this is",
        ),
    ]
    for fields, message in cases:
        assert message in _errors(_aging_post(client, pool, **fields)), message
    assert not PoolAgingPolicy.objects.exists()
    assert _aging_post(client, pool, action="route", rule=push.pk).status_code == 302
    page = client.get(reverse("admin:routing_poolagingpolicy_changelist")).content.decode()
    assert "A lead unclaimed in Open pool for 1 hour: route it by “Push”." in page
    assert RoutingRule.objects.filter(name="Push").exists()
