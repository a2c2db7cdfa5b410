from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import RepProfile, User
from pools.lifecycle import OWNED_STATES, LeadState
from pools.models import Lead, Pool
from routing.models import SlaPolicy
from tests.shared_data import shared_data

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo", "--leads", "20")
    assert not User.objects.exists()


def test_seed_demo_builds_the_cast_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--leads", "60")
    call_command("seed_demo", "--leads", "60")
    usernames = set(User.objects.values_list("username", flat=True))
    assert {"admin", "manager1", "manager2"} | {f"rep{n}" for n in range(1, 13)} <= usernames
    assert RepProfile.objects.count() == 12
    assert set(Pool.objects.values_list("mode", flat=True)) == {"preview", "blind"}
    assert Lead.objects.count() == 60
    for lead in Lead.objects.all():
        assert (lead.owner_id is not None) == (lead.status in OWNED_STATES)
        assert lead.events.exists()
    assert User.objects.get(username="rep1").check_password(settings.DEMO_PASSWORD)
    # Each team has its first-touch policy, once, and the untouched backlog is due for it.
    policies = SlaPolicy.objects.order_by("name")
    assert [(p.name, p.steps.count()) for p in policies] == [
        ("Enterprise first touch", 2),
        ("Inbound speed to lead", 2),
    ]
    untouched = Lead.objects.filter(status=LeadState.ASSIGNED, first_touch_at__isnull=True)
    assert untouched.exists()
    assert not untouched.filter(escalation_due_at__isnull=True).exists()


def test_seed_demo_rejections_do_not_contradict_the_screening_settings(settings):
    """The demo's sources have no threshold and it writes no scoring rule: a demo lead
    listed as unqualified must not claim its score was below a threshold."""
    settings.DEBUG = True
    call_command("seed_demo", "--leads", "300")
    rejected = Lead.objects.filter(status=LeadState.REJECTED).select_related("source")
    assert rejected.exists()
    for lead in rejected:
        threshold = lead.source.qualification_threshold if lead.source else 0
        assert "threshold" not in lead.rejection_reason or lead.score < threshold


def test_seed_demo_uses_the_real_olist_leads(settings):
    olist = shared_data("olist", "olist_marketing_qualified_leads_dataset.csv")
    closed = shared_data("olist", "olist_closed_deals_dataset.csv")
    settings.DEBUG = True
    call_command("seed_demo", "--leads", "80")
    mql_ids = {line.split(",")[0] for line in olist.read_text().splitlines()[1:]}
    closed_ids = {line.split(",")[0] for line in closed.read_text().splitlines()[1:]}
    leads = list(Lead.objects.select_related("source"))
    assert all(lead.external_id in mql_ids for lead in leads)
    # Won leads are exactly those Olist closed, with their real segment — but for the
    # last day's, which the demo leaves in play.
    day_old = timezone.now() - timedelta(hours=24)
    won = {lead.external_id for lead in leads if lead.status == LeadState.WON}
    settled = {lead.external_id for lead in leads if lead.created_at < day_old}
    assert won and won == settled & closed_ids
    assert all(lead.industry for lead in leads if lead.status == LeadState.WON)
    # Every won deal has a value a sales team would recognise (Olist's is mostly 0).
    assert all(1000 <= lead.won_value <= 100_000 for lead in leads if lead.status == "won")
    assert all(lead.email.endswith("@example.com") for lead in leads)


def test_seed_demo_falls_back_to_generated_leads_without_the_data_folder(
    settings, tmp_path, capsys
):
    settings.DEBUG = True
    settings.SHARED_DATA_DIR = tmp_path
    call_command("seed_demo", "--leads", "30")
    assert "generating 30 demo leads" in capsys.readouterr().out
    assert Lead.objects.count() == 30


def test_seed_demo_if_empty_skips_a_populated_database(settings):
    settings.DEBUG = True
    User.objects.create_user(username="someone")
    call_command("seed_demo", "--if-empty")
    assert not Lead.objects.exists()


def test_seed_demo_sets_team_quotas_and_an_override_the_bars_read(settings):
    from accounts.models import Quota
    from pools.work.quotas import quota_attainment

    settings.DEBUG = True
    call_command("seed_demo", "--leads", "60")
    call_command("seed_demo", "--leads", "60")  # idempotent: no twin quotas
    assert Quota.objects.filter(rep__isnull=True).count() == 9
    rep1 = User.objects.get(username="rep1")
    reps = list(RepProfile.objects.values_list("user_id", flat=True))
    standing = quota_attainment(user_ids=reps, at=timezone.now())
    assert set(standing) == set(reps)
    weekly = {
        (a.target, a.overridden)
        for a in standing[rep1.pk]
        if (a.metric, a.period) == (Quota.Metric.LEADS_WORKED, Quota.Period.WEEK)
    }
    assert weekly == {(18, True)}
    # The demo's history counts: somebody has worked leads this month.
    assert any(a.actual for quotas in standing.values() for a in quotas)
