"""bench/pool.py's data: a team, three sources, the 100,000-lead pool and the reps,
created once per database and reused; pooled leads made in bulk. Imported after
django.setup()."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from accounts.models import RepProfile, Team, User
from pools.lifecycle import LeadState
from pools.models import Lead, LeadSource, Pool

COUNTRIES = ["BR", "PT", "US", "DE", "MX", "AR", "ES", "FR"]
INDUSTRIES = ["Retail", "SaaS", "Logistics", "Healthcare", "Finance", "Education"]
SIZES = ["1-10", "11-50", "51-200", "201-500"]


def make_leads(pool: Pool, team: Team, sources, n: int, *, prefix: str) -> None:
    now = timezone.now()
    batch = []
    for i in range(n):
        batch.append(
            Lead(
                first_name=f"{prefix}F{i}",
                last_name=f"{prefix}L{i}",
                email=f"{prefix}{i}@bench.test",
                phone=f"+55119{i:08d}",
                company=f"{prefix} Company {i}",
                title="Buyer",
                industry=INDUSTRIES[i % len(INDUSTRIES)],
                company_size=SIZES[i % len(SIZES)],
                country=COUNTRIES[i % len(COUNTRIES)],
                source=sources[i % len(sources)],
                score=(i * 37) % 100,
                status=LeadState.POOLED,
                pool=pool,
                team=team,
                pooled_at=now - timedelta(seconds=n - i),
            )
        )
        if len(batch) == 5000:
            Lead.objects.bulk_create(batch)
            batch = []
    if batch:
        Lead.objects.bulk_create(batch)


def setup(n_leads: int, n_reps: int):
    team, _ = Team.objects.get_or_create(name="bench-team")
    sources = [
        LeadSource.objects.get_or_create(slug=f"bench-{s}", defaults={"name": f"Bench {s}"})[0]
        for s in ("web", "webinar", "partner")
    ]
    big, _ = Pool.objects.get_or_create(
        slug="bench-100k",
        defaults={
            "name": "bench-100k",
            "team": team,
            "preview_fields": ["company", "industry", "country", "company_size", "source", "score"],
        },
    )
    have = Lead.objects.filter(pool=big, status=LeadState.POOLED).count()
    if have < n_leads:
        print(f"seeding {n_leads - have} pooled leads …", flush=True)
        make_leads(big, team, sources, n_leads - have, prefix=f"b{have}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE pools_lead")
    rep_group = Group.objects.get_or_create(name="rep")[0]
    reps = []
    for i in range(n_reps):
        user, created = User.objects.get_or_create(username=f"bench-rep-{i}")
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(rep_group)
        RepProfile.objects.update_or_create(
            user=user,
            defaults={
                "team": team,
                "max_claims_per_day": None,
                "max_claims_per_week": None,
                "max_open_untouched": None,
            },
        )
        reps.append(user)
    return team, sources, big, reps
