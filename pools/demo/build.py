"""Demo data: people, teams, territories, pools, and leads built from the real Olist
marketing funnel in ../shared/data/olist (names, e-mails and phones are obviously fake;
every other attribute is the lead's real one). Idempotent: people and places are looked up
by name; leads are added only once."""

from __future__ import annotations

import csv
import random
import unicodedata
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.models import Quota, RepProfile, Team, Territory, User
from accounts.roles import Role
from accounts.services import role_groups_ensure, user_create
from pools.demo.data import AREA_CODE, ORIGINS, REPS, SEGMENTS, TERRITORIES, WEEKDAY_HOURS
from pools.lifecycle import OWNED_STATES, LeadState
from pools.models import Lead, LeadEvent, LeadSource, Pool


def _ascii(text: str) -> str:
    """Fake e-mail addresses in plain ASCII, so they pass any e-mail validator."""
    return (
        unicodedata.normalize("NFKD", text)
        .encode("ascii", "ignore")
        .decode()
        .lower()
        .replace(" ", "")
    )


def shared_data_dir() -> Path:
    return Path(settings.SHARED_DATA_DIR)


@transaction.atomic
def people_ensure(*, password: str) -> dict:
    """Admin, two managers, two teams, four territories, twelve reps, two pools."""
    role_groups_ensure()
    territories = {
        name: Territory.objects.update_or_create(name=name, defaults=fields)[0]
        for name, fields in TERRITORIES.items()
    }
    if not User.objects.filter(username="admin").exists():
        user_create(
            username="admin",
            password=password,
            roles=[Role.ADMIN],
            first_name="Ada",
            last_name="Admin",
            email="admin@example.com",
        )
    managers = {}
    for n, (team_name, first, last) in enumerate(
        [("Inbound Brazil", "Marina", "Costa"), ("Enterprise", "Rafael", "Lima")], start=1
    ):
        username = f"manager{n}"
        user = User.objects.filter(username=username).first() or user_create(
            username=username,
            password=password,
            roles=[Role.MANAGER],
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
        )
        team, _ = Team.objects.get_or_create(
            name=team_name,
            defaults={
                "max_per_day": 40,
                "max_open_untouched": 15,
                "max_claims_per_day": 30,
                # Brazilian teams: 12.500,00 is twelve thousand five hundred reais.
                "number_format": Team.NumberFormat.DECIMAL_COMMA,
                "currency": "BRL",
            },
        )
        team.managers.add(user)
        managers[team_name] = user
    fake = Faker("pt_BR")
    fake.seed_instance(42)
    for n, spec in enumerate(REPS, start=1):
        username = f"rep{n}"
        first, last = fake.first_name(), fake.last_name()
        if User.objects.filter(username=username).exists():
            continue
        user = user_create(
            username=username,
            password=password,
            roles=[Role.REP],
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            profile={
                "team": Team.objects.get(name=spec.team),
                "languages": list(spec.languages),
                "industries": list(spec.industries),
                "time_zone": spec.time_zone,
                "weight": spec.weight,
                "seniority": spec.seniority,
                "availability": spec.availability,
                "working_hours": WEEKDAY_HOURS,
                "company_sizes": ["1-10", "11-50", "51-200"]
                if spec.seniority < 3
                else ["51-200", "201-1000", "1000+"],
            },
        )
        user.rep_profile.territories.set([territories[t] for t in spec.territories])
    inbound, enterprise = (Team.objects.get(name=t) for t in ("Inbound Brazil", "Enterprise"))
    Pool.objects.get_or_create(
        slug="brazil-open",
        defaults={
            "name": "Brazil open pool",
            "mode": Pool.Mode.PREVIEW,
            "team": inbound,
            "is_team_default": True,
            "preview_fields": ["company", "industry", "city", "state", "source", "score"],
        },
    )
    Pool.objects.get_or_create(
        slug="enterprise-blind",
        defaults={
            "name": "Enterprise blind pool",
            "mode": Pool.Mode.BLIND,
            "order": Pool.Order.SCORE,
            "team": enterprise,
            "is_team_default": True,
        },
    )
    for origin in ORIGINS:
        LeadSource.objects.get_or_create(
            slug=origin,
            defaults={
                "name": origin.replace("_", " ").capitalize(),
                "team": enterprise if origin in ("paid_search", "referral") else inbound,
                # One public web form to try at /capture/organic_search/.
                "form_enabled": origin == "organic_search",
                "form_intro": "Tell us about your shop and a specialist calls you back today.",
            },
        )
    quotas_ensure(teams=[inbound, enterprise])
    return {"teams": [inbound, enterprise], "managers": managers}


# Team defaults (metric, period, target) and one override: rep1, the Inbound senior, is
# asked for more leads a week. Amounts in the teams' currency (BRL).
DEMO_QUOTAS = {
    "Inbound Brazil": [
        (Quota.Metric.LEADS_WORKED, Quota.Period.WEEK, 12),
        (Quota.Metric.LEADS_WORKED, Quota.Period.MONTH, 45),
        (Quota.Metric.TOUCHES, Quota.Period.WEEK, 15),
        (Quota.Metric.DEALS_WON, Quota.Period.MONTH, 4),
        (Quota.Metric.WON_VALUE, Quota.Period.MONTH, 20000),
    ],
    "Enterprise": [
        (Quota.Metric.LEADS_WORKED, Quota.Period.WEEK, 6),
        (Quota.Metric.TOUCHES, Quota.Period.WEEK, 10),
        (Quota.Metric.DEALS_WON, Quota.Period.MONTH, 2),
        (Quota.Metric.WON_VALUE, Quota.Period.MONTH, 60000),
    ],
}
DEMO_OVERRIDES = [("rep1", Quota.Metric.LEADS_WORKED, Quota.Period.WEEK, 18)]


def quotas_ensure(*, teams: list[Team]) -> None:
    """The demo's quotas (idempotent: a target changed by hand is left alone)."""
    by_name = {t.name: t for t in teams}
    for team_name, quotas in DEMO_QUOTAS.items():
        for metric, period, target in quotas:
            Quota.objects.get_or_create(
                team=by_name[team_name],
                rep=None,
                metric=metric,
                period=period,
                defaults={"target": target},
            )
    for username, metric, period, target in DEMO_OVERRIDES:
        profile = RepProfile.objects.filter(user__username=username).first()
        if profile is not None and profile.team_id:
            Quota.objects.get_or_create(
                team_id=profile.team_id,
                rep_id=profile.user_id,
                metric=metric,
                period=period,
                defaults={"target": target},
            )


def _olist_rows(limit: int, rng: random.Random) -> list[dict] | None:
    folder = shared_data_dir() / "olist"
    mql_path = folder / "olist_marketing_qualified_leads_dataset.csv"
    if not mql_path.exists():
        return None
    with open(folder / "olist_closed_deals_dataset.csv", newline="", encoding="utf-8") as f:
        deals = {row["mql_id"]: row for row in csv.DictReader(f)}
    with open(folder / "olist_sellers_dataset.csv", newline="", encoding="utf-8") as f:
        sellers = {row["seller_id"]: row for row in csv.DictReader(f)}
    with open(mql_path, newline="", encoding="utf-8") as f:
        mqls = list(csv.DictReader(f))
    # Every won lead the file has, plus a random sample of the others, so the demo shows
    # both outcomes and the real 10% conversion is visible in the per-source numbers.
    won = [m for m in mqls if m["mql_id"] in deals]
    rest = [m for m in mqls if m["mql_id"] not in deals]
    picked = rng.sample(won, min(len(won), limit // 4)) + rng.sample(rest, limit - limit // 4)
    rows = []
    for mql in sorted(picked, key=lambda m: m["first_contact_date"]):
        deal = deals.get(mql["mql_id"])
        seller = sellers.get(deal["seller_id"]) if deal else None
        rows.append({"mql": mql, "deal": deal, "seller": seller})
    return rows


def _generated_rows(limit: int, rng: random.Random) -> list[dict]:
    states = list(AREA_CODE)
    return [
        {
            "mql": {
                "mql_id": f"gen-{i}",
                "first_contact_date": "2018-01-01",
                "landing_page_id": "",
                "origin": rng.choice(ORIGINS),
            },
            "deal": {
                "business_segment": rng.choice(SEGMENTS),
                "lead_type": "online_medium",
                "business_type": "reseller",
                "declared_monthly_revenue": "0",
            }
            if rng.random() < 0.1
            else None,
            "seller": {
                "seller_state": rng.choice(states),
                "seller_city": "",
                "seller_zip_code_prefix": "",
            },
        }
        for i in range(limit)
    ]


def leads_ensure(*, count: int = 400, fresh: int = 20, log=print) -> int:
    """Add the demo leads once. Returns how many were created. The newest `fresh` ones are
    left `new`, for the caller to send through the real intake pipeline."""
    if Lead.objects.filter(attributes__demo=True).exists():
        return 0
    rng = random.Random(7)
    fake = Faker("pt_BR")
    fake.seed_instance(7)
    rows = _olist_rows(count, rng)
    if rows is None:
        log(
            f"{shared_data_dir() / 'olist'} not found: generating {count} demo leads instead "
            "of using the real Olist data."
        )
        rows = _generated_rows(count, rng)
    sources = {s.slug: s for s in LeadSource.objects.all()}
    pools = {p.team_id: p for p in Pool.objects.filter(is_team_default=True)}
    reps_by_team: dict[int, list[User]] = {}
    for profile in RepProfile.objects.select_related("user"):
        reps_by_team.setdefault(profile.team_id, []).append(profile.user)
    now = timezone.now()
    leads = []
    for i, row in enumerate(rows):
        mql, deal, seller = row["mql"], row["deal"], row["seller"]
        source = sources.get(mql["origin"] or "unknown") or sources["unknown"]
        state_code = (seller or {}).get("seller_state", "")
        first, last = fake.first_name(), fake.last_name()
        created = now - timedelta(hours=(len(rows) - i) * 0.8 + rng.random())
        status = LeadState.NEW if i >= len(rows) - fresh else _demo_outcome(rng, deal, created, now)
        team_id = source.team_id
        lead = Lead(
            first_name=first,
            last_name=last,
            email=_ascii(f"{first}.{last}.{i}@example.com"),
            phone=f"+55{AREA_CODE.get(state_code, '11')}9{rng.randint(10_000_000, 99_999_999)}",
            company=f"{fake.company()} (demo)",
            title=rng.choice(["Owner", "Founder", "E-commerce manager", "Buyer", "Director"]),
            industry=(deal or {}).get("business_segment", "") or "",
            company_size=rng.choice(["1-10", "11-50", "51-200", "201-1000"]),
            country="BR",
            state=state_code,
            city=((seller or {}).get("seller_city") or "").title(),
            postal_code=(seller or {}).get("seller_zip_code_prefix", ""),
            language="pt",
            source=source,
            landing_page=mql["landing_page_id"][:12],
            external_id=mql["mql_id"],
            score=rng.randint(5, 95),
            team_id=team_id,
            created_at=created,
            status=status,
            attributes={
                "demo": True,
                "first_contact_date": mql["first_contact_date"],
                **(
                    {"lead_type": deal.get("lead_type"), "business_type": deal.get("business_type")}
                    if deal
                    else {}
                ),
            },
        )
        if status == LeadState.POOLED:
            lead.pool, lead.pooled_at = pools.get(team_id), created + timedelta(minutes=2)
            if lead.pool is None:
                lead.status = LeadState.SKIMMING
        elif status in OWNED_STATES:
            lead.owner = rng.choice(reps_by_team[team_id])
            lead.assigned_at = created + timedelta(minutes=rng.randint(1, 30))
            lead.assigned_via = Lead.Via.PUSH
            if status != LeadState.ASSIGNED:
                lead.first_touch_at = lead.assigned_at + timedelta(minutes=rng.randint(2, 240))
            if status in (LeadState.QUALIFIED, LeadState.WON):
                lead.qualified_at = lead.first_touch_at  # as the demo's timeline says
            if status == LeadState.WON:
                lead.won_value = _deal_value(deal, rng)
            if status == LeadState.LOST:
                lead.lost_reason = rng.choice(["No budget", "Chose a competitor", "Unreachable"])
            if status in (LeadState.WON, LeadState.LOST):
                # Closed some time after the first touch, never in the future.
                lead.closed_at = min(now, lead.first_touch_at + timedelta(hours=rng.randint(2, 72)))
        elif status == LeadState.REJECTED:
            # Not "score below the threshold": the demo's sources have none, and the
            # Unqualified page would contradict the settings beside it.
            lead.rejection_reason = "Disqualified by the team: not a fit (demo history)"
        if status not in (LeadState.REJECTED, LeadState.NEW):
            lead.routed_at = created + timedelta(minutes=1)
        leads.append(lead)
    with transaction.atomic():
        Lead.objects.bulk_create(leads, batch_size=500)
        LeadEvent.objects.bulk_create(_demo_events(leads), batch_size=1000)
    return len(leads)


def _deal_value(deal, rng: random.Random) -> Decimal:
    """A won deal's value: Olist's declared monthly revenue where it is a plausible one
    (R$ 1.000–100.000); 95 % of its deals declare none (0) and a few millions, so those get
    a made-up value in that range, or the won column and value quotas would read R$ 0,00."""
    declared = Decimal(str((deal or {}).get("declared_monthly_revenue") or 0))
    if Decimal(1000) <= declared <= Decimal(100_000):
        return declared
    return Decimal(rng.randrange(20, 600) * 100)


def _demo_outcome(rng: random.Random, deal, created, now):
    """Where a historical lead stands today: recent ones still in play, older ones closed
    with their real outcome (won iff Olist closed the deal)."""
    age_days = (now - created).days
    if deal and now - created > timedelta(hours=24):
        return LeadState.WON
    roll = rng.random()
    if age_days > 6:
        return LeadState.LOST if roll < 0.7 else LeadState.REJECTED
    if roll < 0.35:
        return LeadState.POOLED
    if roll < 0.55:
        return LeadState.ASSIGNED
    if roll < 0.75:
        return LeadState.CONTACTED
    if roll < 0.85:
        return LeadState.QUALIFIED
    if roll < 0.92:
        return LeadState.SKIMMING
    return LeadState.REJECTED


def _demo_events(leads: list[Lead]) -> list[LeadEvent]:
    """A plausible timeline for each lead, consistent with where it stands."""
    events = []
    for lead in leads:
        t = lead.created_at
        events.append(LeadEvent(lead=lead, kind="created", to_state="new", created_at=t))
        if lead.status == LeadState.NEW:
            continue
        events.append(
            LeadEvent(
                lead=lead,
                kind="transition",
                from_state="new",
                to_state="screened",
                reason="Screened",
                created_at=t,
            )
        )
        if lead.status == LeadState.REJECTED:
            events.append(
                LeadEvent(
                    lead=lead,
                    kind="transition",
                    from_state="screened",
                    to_state="rejected",
                    reason=lead.rejection_reason,
                    created_at=t,
                )
            )
            continue
        if lead.status in (LeadState.POOLED, LeadState.SKIMMING):
            events.append(
                LeadEvent(
                    lead=lead,
                    kind="routed",
                    from_state="screened",
                    to_state=lead.status,
                    created_at=lead.routed_at,
                    reason=f"Team default pool {lead.pool}" if lead.pool else "Manager to assign",
                )
            )
            continue
        events.append(
            LeadEvent(
                lead=lead,
                kind="assigned",
                from_state="screened",
                to_state="assigned",
                owner=lead.owner,
                created_at=lead.assigned_at,
                reason="Demo assignment",
            )
        )
        path = {
            LeadState.CONTACTED: ["contacted"],
            LeadState.QUALIFIED: ["contacted", "qualified"],
            LeadState.WON: ["contacted", "qualified", "won"],
            LeadState.LOST: ["contacted", "lost"],
        }.get(lead.status, [])
        previous = "assigned"
        if lead.first_touch_at:
            events.append(
                LeadEvent(
                    lead=lead,
                    kind="touch",
                    actor=lead.owner,
                    created_at=lead.first_touch_at,
                    reason="Call",
                    data={"channel": "call"},
                )
            )
        for step in path:
            when = lead.closed_at if step in ("won", "lost") else lead.first_touch_at
            events.append(
                LeadEvent(
                    lead=lead,
                    kind="disposition",
                    from_state=previous,
                    to_state=step,
                    actor=lead.owner,
                    owner=lead.owner,
                    created_at=when,
                    reason=lead.lost_reason if step == "lost" else "",
                )
            )
            previous = step
    return events
