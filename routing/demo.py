"""Demo routing rules over the real Olist leads' fields.

Olist leads carry an origin (→ LeadSource slug: organic_search, paid_search, social, email,
referral, direct_traffic, display, other, other_publicities, unknown), a business segment
(→ Lead.industry) for won deals and a seller state (→ Lead.state, country BR, language pt).
`demo_rules_ensure()` is called by seed_demo after teams, territories and reps exist; it
looks them up by name and skips what is missing, and running it twice changes nothing.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import Team, Territory
from pools.models import Pool

from .models import RoutingRule, SlaPolicy, SlaStep

log = logging.getLogger(__name__)

INBOUND, ENTERPRISE = "Inbound Brazil", "Enterprise"
# Segments with the largest catalogues in the Olist data: an enterprise rep's expertise
# pays off there.
ENTERPRISE_SEGMENTS = [
    "home_decor",
    "health_beauty",
    "audio_video_electronics",
    "computers",
    "construction_tools_house_garden",
    "household_utilities",
]
PAID_ORIGINS = ["paid_search", "display", "other_publicities"]
ORGANIC_ORIGINS = ["organic_search", "social", "email", "referral", "direct_traffic"]


def _cond(field: str, op: str, value) -> dict:
    return {"field": field, "op": op, "value": value}


def demo_rules_ensure() -> list[RoutingRule]:
    teams = {t.name: t for t in Team.objects.filter(name__in=[INBOUND, ENTERPRISE])}
    inbound, enterprise = teams.get(INBOUND), teams.get(ENTERPRISE)
    if inbound is None:
        log.warning("demo rules skipped: no team named %r", INBOUND)
        return []
    territories = set(
        Territory.objects.filter(name__in=["São Paulo", "Rio & Minas", "South"]).values_list(
            "name", flat=True
        )
    )
    default_pool = Pool.objects.filter(team=inbound, is_team_default=True).first()
    specs = [
        dict(
            name="Catch-all: Inbound Brazil, load balanced",
            priority=1000,
            description="Anything no other rule takes: the least busy Inbound rep.",
            conditions=[],
            team=inbound,
            method=RoutingRule.Method.LOAD_BALANCED,
            fallback=RoutingRule.Fallback.POOL if default_pool else RoutingRule.Fallback.SKIM,
            fallback_pool=default_pool,
        ),
        dict(
            name="Unknown origin: manager skims",
            priority=10,
            description="No idea where it came from: a manager looks before anyone calls.",
            conditions=[
                [_cond("source", "in", ["unknown", "other"])],
                [_cond("source", "is_empty", True)],
            ],
            action=RoutingRule.Action.SKIM,
            team=inbound,
        ),
        dict(
            name="Paid traffic: Inbound Brazil, weighted",
            priority=20,
            description="Paid leads are hot: shared by rep weight (seniors carry more).",
            conditions=[[_cond("source", "in", PAID_ORIGINS)]],
            team=inbound,
            method=RoutingRule.Method.WEIGHTED,
        ),
    ]
    # Live offers: with demo reps online, a posted lead of these sources arrives as a card
    # on their pages; with nobody online it goes to the catch-all at once.
    specs.append(
        dict(
            name="Direct traffic: Inbound, sequential live offer",
            priority=15,
            description="One rep at a time for 45 s, the first rep rotating per lead; the "
            "second pass runs backwards.",
            conditions=[[_cond("source", "in", ["direct_traffic"])]],
            action=RoutingRule.Action.OFFER,
            team=inbound,
            offer_method=RoutingRule.OfferMethod.SEQUENTIAL,
            offer_seconds=45,
            offer_passes=2,
        )
    )
    if enterprise is not None:
        specs.append(
            dict(
                name="Referrals: Enterprise, shotgun live offer",
                priority=5,
                description="Referred leads are the hottest: every online Enterprise rep "
                "gets the offer at once, first to accept wins.",
                conditions=[[_cond("source", "in", ["referral"])]],
                action=RoutingRule.Action.OFFER,
                team=enterprise,
                offer_method=RoutingRule.OfferMethod.SHOTGUN,
                offer_seconds=60,
            )
        )
        specs.append(
            dict(
                name="Big segments: Enterprise, best skills match",
                priority=30,
                description="Large-catalogue segments go to the Enterprise rep who knows them.",
                conditions=[[_cond("industry", "in", ENTERPRISE_SEGMENTS)]],
                team=enterprise,
                method=RoutingRule.Method.SKILLS,
                require_language=True,
            )
        )
    specs.append(
        dict(
            name="E-mail leads: Inbound Brazil, quota fill",
            priority=35,
            description="Newsletter replies go to the rep furthest behind their weekly or "
            "monthly lead quota (Admin → Teams → Quotas).",
            conditions=[[_cond("source", "equals", "email")]],
            team=inbound,
            method=RoutingRule.Method.QUOTA_FILL,
        )
    )
    if "São Paulo" in territories:
        specs.append(
            dict(
                name="São Paulo sellers: territory owner",
                priority=40,
                conditions=[[_cond("state", "equals", "SP")]],
                team=inbound,
                target=RoutingRule.Target.TERRITORY,
                method=RoutingRule.Method.TERRITORY,
            )
        )
    if territories & {"Rio & Minas", "South"}:
        specs.append(
            dict(
                name="Rio, Minas and the South: territory owner",
                priority=50,
                conditions=[[_cond("state", "in", ["RJ", "MG", "PR", "SC", "RS"])]],
                team=inbound,
                target=RoutingRule.Target.TERRITORY,
                method=RoutingRule.Method.TERRITORY,
            )
        )
    specs.append(
        dict(
            name="Organic and owned channels: Inbound round robin",
            priority=60,
            description="Everyone takes their turn; a rep who steps away keeps it.",
            conditions=[[_cond("source", "in", ORGANIC_ORIGINS)]],
            team=inbound,
            method=RoutingRule.Method.ROUND_ROBIN,
            keep_turn=True,
        )
    )

    enterprise_pool = (
        Pool.objects.filter(team=enterprise, is_team_default=True).first() if enterprise else None
    )
    catch_all = None
    rules = []
    for spec in specs:
        name = spec.pop("name")
        rule, _ = RoutingRule.objects.live().update_or_create(name=name, defaults=spec)
        if catch_all is None:
            catch_all = rule
        elif rule.picks_reps:
            # Nobody eligible (caps, hours) or nobody took the offer: an Inbound lead tries
            # the catch-all before any queue; an Enterprise lead stays with Enterprise, in
            # its pool (the catch-all would hand a referral to another team's rep).
            # (updated_at set by hand: update() skips auto_now, and the engine's rule
            # cache watches it.)
            if enterprise is not None and rule.team_id == enterprise.pk:
                fallback = (
                    {"fallback": RoutingRule.Fallback.POOL, "fallback_pool": enterprise_pool}
                    if enterprise_pool
                    else {"fallback": RoutingRule.Fallback.SKIM}
                )
            else:
                fallback = {"fallback": RoutingRule.Fallback.RULE, "fallback_rule": catch_all}
            RoutingRule.objects.filter(pk=rule.pk).update(**fallback, updated_at=timezone.now())
        rules.append(rule)
    return sorted(rules, key=lambda r: r.priority)


# Each team's first-touch policy, counted in the owner's working hours: a reminder, then the
# managers after a working day (two for Enterprise). No reassignment, so a newcomer's demo
# leads stay where they were routed. The seeded backlog gets each lead's latest step due:
# the recent ones remind their reps, the older ones alert the managers.
DEMO_SLA = {
    INBOUND: ("Inbound speed to lead", [(15, "remind"), (8 * 60, "notify_manager")]),
    ENTERPRISE: ("Enterprise first touch", [(30, "remind"), (16 * 60, "notify_manager")]),
}


def demo_escalation_ensure() -> list[SlaPolicy]:
    """The demo teams' SLA policies, once. Saving one marks the team's untouched leads due
    (routing.escalation.rearm), so the first sweeps remind the reps of the seeded backlog."""
    policies = []
    for team in Team.objects.filter(name__in=DEMO_SLA):
        name, steps = DEMO_SLA[team.name]
        with transaction.atomic():
            policy, created = SlaPolicy.objects.get_or_create(
                name=name, team=team, defaults={"working_hours_only": True}
            )
            if created:
                SlaStep.objects.bulk_create(
                    SlaStep(policy=policy, after_minutes=minutes, action=action)
                    for minutes, action in steps
                )
        policies.append(policy)
    return policies
