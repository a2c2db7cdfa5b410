"""Best skills match: one point per criterion the rep covers (language, industry,
company size, product, territory); highest score wins, ties by load then waiting time."""

from .base import Candidate, Choice, LeadSnapshot, Options, waited_key

ALL_SKILLS = ("language", "industry", "company_size", "product", "territory")


def skill_score(lead: LeadSnapshot, c: Candidate, skills: tuple[str, ...]) -> tuple[int, list]:
    f = lead.fields
    checks = {
        "language": bool(f.get("language")) and f["language"] in c.languages,
        "industry": bool(f.get("industry")) and f["industry"] in c.industries,
        "company_size": bool(f.get("company_size")) and f["company_size"] in c.company_sizes,
        "product": bool(f.get("product_interest")) and f["product_interest"] in c.products,
        "territory": bool(set(lead.territories) & c.territory_ids),
    }
    hits = [s for s in (skills or ALL_SKILLS) if checks[s]]
    return len(hits), hits


def choose(
    *,
    lead: LeadSnapshot,
    eligible: list[Candidate],
    roster: list[int],
    unavailable: frozenset[int],
    state: dict,
    options: Options,
) -> Choice:
    if not eligible:
        return Choice(None, "Nobody eligible", state)
    scored = {c.rep_id: skill_score(lead, c, options.skills) for c in eligible}
    winner = min(eligible, key=lambda c: (-scored[c.rep_id][0], c.open_leads, *waited_key(c)))
    score, hits = scored[winner.rep_id]
    out_of = len(options.skills or ALL_SKILLS)
    return Choice(
        winner.rep_id,
        f"Best skills match: {score}/{out_of} ({', '.join(hits) or 'no overlap'})",
        state,
    )
