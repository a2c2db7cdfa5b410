"""A small world whose report figures are computed by hand in each test's docstring.

Team A (managed by `manager`): reps Ana (weight 3) and Bo (weight 1); team B: rep Cy.
Times are fixed offsets from `NOW` so every duration is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from pools.lifecycle import LeadState as S
from tests.factories import LeadFactory, LeadSourceFactory, TeamFactory, make_manager, make_rep

NOW = timezone.now().replace(microsecond=0) - timedelta(hours=1)


@dataclass
class World:
    team_a: object
    team_b: object
    manager: object
    manager_b: object
    ana: object
    bo: object
    cy: object
    web: object
    fair: object


def lead(
    *,
    team,
    status=S.ASSIGNED,
    owner=None,
    created=0,
    assigned=None,
    touched=None,
    source=None,
    score=0,
    country="BR",
    **more,
):
    """A lead created `created` minutes before NOW, assigned / first touched that many
    seconds after creation."""
    created_at = NOW - timedelta(minutes=created)
    at = lambda s: None if s is None else created_at + timedelta(seconds=s)  # noqa: E731
    return LeadFactory(
        team=team,
        status=status,
        owner=owner,
        created_at=created_at,
        assigned_at=at(assigned),
        first_touch_at=at(touched),
        source=source,
        score=score,
        country=country,
        **more,
    )


def world() -> World:
    team_a, team_b = TeamFactory(name="Alpha"), TeamFactory(name="Beta")
    ana = make_rep(team=team_a, weight=3)
    ana.first_name, ana.last_name = "Ana", "Alves"
    ana.save()
    bo = make_rep(team=team_a, weight=1)
    bo.first_name, bo.last_name = "Bo", "Brito"
    bo.save()
    cy = make_rep(team=team_b)
    web = LeadSourceFactory(name="Web form", slug="web")
    fair = LeadSourceFactory(name='=HYPERLINK("http://evil")', slug="fair")
    w = World(
        team_a,
        team_b,
        make_manager(teams=[team_a]),
        make_manager(teams=[team_b]),
        ana,
        bo,
        cy,
        web,
        fair,
    )
    # Team A: 6 leads.
    # Ana: won (touched 60 s), qualified (touched 120 s), contacted (touched 600 s),
    #      assigned untouched.
    lead(
        team=team_a,
        status=S.WON,
        owner=ana,
        assigned=30,
        touched=60,
        source=web,
        score=80,
        won_value=Decimal("1000"),
    )
    lead(team=team_a, status=S.QUALIFIED, owner=ana, assigned=60, touched=120, source=web, score=60)
    lead(
        team=team_a,
        status=S.CONTACTED,
        owner=ana,
        assigned=100,
        touched=600,
        source=fair,
        score=30,
        country="PT",
    )
    lead(team=team_a, status=S.ASSIGNED, owner=ana, assigned=10, source=fair, score=10)
    # Bo: lost after a touch at 240 s.
    lead(
        team=team_a,
        status=S.LOST,
        owner=bo,
        assigned=0,
        touched=240,
        source=web,
        score=50,
        lost_reason="No budget",
    )
    # Rejected at screening: no owner.
    lead(team=team_a, status=S.REJECTED, source=web, score=5, rejection_reason="Unqualified")
    # Team B: one won lead, the other manager's.
    lead(
        team=team_b,
        status=S.WON,
        owner=cy,
        assigned=5,
        touched=10,
        source=web,
        score=90,
        won_value=Decimal("5000"),
    )
    # Team A, but long before the default period (40 days ago): never counted by "30d".
    lead(
        team=team_a,
        status=S.WON,
        owner=bo,
        created=40 * 24 * 60,
        assigned=1,
        touched=2,
        source=web,
        score=90,
    )
    return w
