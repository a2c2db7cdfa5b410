"""The real Olist leads, routed by the demo rules, land where the rules say."""

import csv
from collections import Counter

import pytest

from accounts.models import Territory
from pools.lifecycle import LeadState
from pools.models import Lead, LeadSource
from routing.demo import ENTERPRISE_SEGMENTS, ORGANIC_ORIGINS, PAID_ORIGINS, demo_rules_ensure
from routing.engine import lead_route
from tests.factories import PoolFactory, TeamFactory, make_rep
from tests.shared_data import shared_data

pytestmark = pytest.mark.django_db


def _rows(name):
    with open(shared_data("olist", name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def olist_sample(n_won=120, n_open=80):
    """Won deals (with segment, and a state where the seller is known) and plain MQLs."""
    mqls = {r["mql_id"]: r for r in _rows("olist_marketing_qualified_leads_dataset.csv")}
    sellers = {r["seller_id"]: r for r in _rows("olist_sellers_dataset.csv")}
    deals = sorted(_rows("olist_closed_deals_dataset.csv"), key=lambda r: r["mql_id"])
    # Won deals with a known seller state first, so territories get exercised.
    deals.sort(key=lambda r: r["seller_id"] not in sellers)
    won_ids = {d["mql_id"] for d in deals}
    sample = []
    for deal in deals[:n_won]:
        seller = sellers.get(deal["seller_id"], {})
        sample.append(
            {
                "origin": mqls[deal["mql_id"]]["origin"],
                "mql_id": deal["mql_id"],
                "industry": deal["business_segment"],
                "state": seller.get("seller_state", ""),
                "postal_code": seller.get("seller_zip_code_prefix", ""),
            }
        )
    for mql_id in sorted(set(mqls) - won_ids)[:n_open]:
        sample.append(
            {
                "origin": mqls[mql_id]["origin"],
                "mql_id": mql_id,
                "industry": "",
                "state": "",
                "postal_code": "",
            }
        )
    return sample


@pytest.fixture
def demo_org():
    """What seed_demo creates: two teams, three territories, rep1…rep12."""
    inbound, enterprise = TeamFactory(name="Inbound Brazil"), TeamFactory(name="Enterprise")
    sp = Territory.objects.create(name="São Paulo", states=["SP"])
    rio = Territory.objects.create(name="Rio & Minas", states=["RJ", "MG"])
    south = Territory.objects.create(name="South", states=["PR", "SC", "RS"])
    reps = {}
    for i in range(1, 13):
        team = inbound if i <= 8 else enterprise
        user = make_rep(
            team=team,
            languages=["pt", "en"],
            weight=1 + i % 3,
            industries=ENTERPRISE_SEGMENTS[(i - 9) * 2 : (i - 9) * 2 + 2] if i > 8 else [],
        )
        user.username = f"rep{i}"
        user.save()
        reps[i] = user
    for i, territory in ((1, sp), (2, sp), (3, sp), (4, rio), (5, rio), (6, south), (7, south)):
        reps[i].rep_profile.territories.add(territory)
    blind = PoolFactory(team=enterprise, name="Enterprise blind pool", is_team_default=True)
    return {
        "inbound": inbound,
        "enterprise": enterprise,
        "enterprise_pool": blind,
        "covers": {"SP": sp, "RJ": rio, "MG": rio, "PR": south, "SC": south, "RS": south},
    }


# Sources offered live by the demo; nobody is online in these tests, so the offer's rule
# hands the lead to its fallback at once: the catch-all for Inbound's, Enterprise's own
# pool for Enterprise's (never another team's rep).
OFFERED = {
    "referral": "Referrals: Enterprise, shotgun live offer",
    "direct_traffic": "Direct traffic: Inbound, sequential live offer",
}


def expected_rule(row) -> str:
    origin = row["origin"]
    if origin == "referral":
        return OFFERED[origin]
    if origin in OFFERED:
        return "Catch-all: Inbound Brazil, load balanced"
    if origin in ("unknown", "other", ""):
        return "Unknown origin: manager skims"
    if origin in PAID_ORIGINS:
        return "Paid traffic: Inbound Brazil, weighted"
    if row["industry"] in ENTERPRISE_SEGMENTS:
        return "Big segments: Enterprise, best skills match"
    if origin == "email":
        return "E-mail leads: Inbound Brazil, quota fill"
    if row["state"] == "SP":
        return "São Paulo sellers: territory owner"
    if row["state"] in ("RJ", "MG", "PR", "SC", "RS"):
        return "Rio, Minas and the South: territory owner"
    if origin in ORGANIC_ORIGINS:
        return "Organic and owned channels: Inbound round robin"
    return "Catch-all: Inbound Brazil, load balanced"


def test_demo_rules_are_idempotent_and_skip_without_teams(db):
    assert demo_rules_ensure() == []
    TeamFactory(name="Inbound Brazil")
    first = demo_rules_ensure()
    assert [r.pk for r in demo_rules_ensure()] == [r.pk for r in first]


def test_real_olist_leads_route_per_the_demo_rules(demo_org):
    demo_rules_ensure()
    sample = olist_sample()
    sources = {}
    leads = []
    for row in sample:
        slug = row["origin"]
        if slug and slug not in sources:
            sources[slug] = LeadSource.objects.create(name=slug.replace("_", " "), slug=slug)
        leads.append(
            Lead.objects.create(
                status=LeadState.SCREENED,
                source=sources.get(slug),
                external_id=row["mql_id"],
                industry=row["industry"],
                state=row["state"],
                postal_code=row["postal_code"],
                country="BR",
                language="pt",
            )
        )
    for lead in leads:
        lead_route(lead=lead)
    got = Counter()
    for row, lead in zip(sample, leads, strict=True):
        lead.refresh_from_db()
        decision = lead.routing_decisions.get()
        want = expected_rule(row)
        assert decision.rule_name == want, (row, decision.reason)
        if row["origin"] in OFFERED:
            offered = decision.details["steps"][0]
            assert offered["name"] == OFFERED[row["origin"]], decision.details
            assert offered["result"] == "Nobody online and eligible"
        got[want] += 1
        if want.startswith("Unknown"):
            assert lead.status == LeadState.SKIMMING and lead.team == demo_org["inbound"]
            continue
        if want.startswith("Referrals"):
            assert lead.status == LeadState.POOLED and lead.pool == demo_org["enterprise_pool"]
            continue
        assert lead.status == LeadState.ASSIGNED
        profile = lead.owner.rep_profile
        if want.startswith("Big segments"):
            assert profile.team == demo_org["enterprise"]
            assert row["industry"] in profile.industries
        elif "territory" in want:
            assert demo_org["covers"][row["state"]] in profile.territories.all()
        else:
            assert profile.team == demo_org["inbound"]
    # The sample exercises every rule, not just the catch-all.
    assert len(got) >= 6, got
