"""A small world whose report figures are computed by hand in each test's docstring.

Team Alpha (managed by `manager`): reps Ana Alves (weight 3) and Bo Brito (weight 1);
team Beta (managed by `manager_b`): rep Cy. Times are exact offsets from `NOW`.

Alpha's leads of the last 30 days (seconds after creation; robin = round_robin):

| # | owner | state     | assign | touch | qualify | source | score | ctry | rule · method · via |
|---|-------|-----------|--------|-------|---------|--------|-------|------|---------------------|
| 1 | Ana   | won 1000  | 30     | 60    | 900     | web    | 80    | BR   | rr · robin · push   |
| 2 | Ana   | qualified | 60     | 120   | 300     | web    | 60    | BR   | hot · shotgun · offer |
| 3 | Ana   | contacted | 100    | 600   |         | fair   | 30    | PT   | to_pool · — · pool  |
| 4 | Ana   | assigned  | 10     |       |         | fair   | 10    | BR   | rr · robin · push   |
| 5 | Bo    | lost      | 0      | 240   |         | web    | 50    | BR   | — · manual · desk   |
| 6 | —     | rejected  |        |       |         | web    | 5     | BR   | —                   |

Plus Beta's won lead (Cy, touched 10 s after creation, 5 s after assignment) and an Alpha
lead of Bo's from 40 days ago (outside "last 30 days").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from pools.lifecycle import LeadState as S
from tests.factories import LeadFactory, LeadSourceFactory, TeamFactory, make_manager, make_rep
from tests.routing_factories import RuleFactory

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
    rr: object
    hot: object
    to_pool: object


def lead(
    *,
    team,
    status=S.ASSIGNED,
    owner=None,
    created=0,
    assigned=None,
    touched=None,
    qualified=None,
    source=None,
    score=0,
    country="BR",
    via="",
    method="",
    rule=None,
    **more,
):
    """A lead created `created` minutes before NOW, assigned / first touched / qualified
    that many seconds after creation, placed by `rule` with `method`, owned `via`."""
    created_at = NOW - timedelta(minutes=created)

    def at(seconds):
        return None if seconds is None else created_at + timedelta(seconds=seconds)

    return LeadFactory(
        team=team,
        status=status,
        owner=owner,
        created_at=created_at,
        assigned_at=at(assigned),
        first_touch_at=at(touched),
        qualified_at=at(qualified),
        source=source,
        score=score,
        country=country,
        assigned_via=via,
        routed_method=method,
        routed_rule=rule.pk if rule else None,
        **more,
    )


def _rep(team, first, last, weight=1):
    user = make_rep(team=team, weight=weight)
    user.first_name, user.last_name = first, last
    user.save()
    return user


def world() -> World:
    team_a, team_b = TeamFactory(name="Alpha"), TeamFactory(name="Beta")
    w = World(
        team_a=team_a,
        team_b=team_b,
        manager=make_manager(teams=[team_a]),
        manager_b=make_manager(teams=[team_b]),
        ana=_rep(team_a, "Ana", "Alves", weight=3),
        bo=_rep(team_a, "Bo", "Brito"),
        cy=_rep(team_b, "Cy", "Costa"),
        web=LeadSourceFactory(name="Web form", slug="web"),
        fair=LeadSourceFactory(name='=HYPERLINK("http://evil")', slug="fair"),
        rr=RuleFactory(name="Inbound round robin", method="round_robin"),
        hot=RuleFactory(name="Hot leads offered", action="offer", offer_method="shotgun"),
        to_pool=RuleFactory(name="Everything else to the pool", action="pool"),
    )
    a, ana, bo, web, fair = team_a, w.ana, w.bo, w.web, w.fair
    push = {"via": "push", "method": "round_robin", "rule": w.rr}
    lead(team=a, status=S.WON, owner=ana, assigned=30, touched=60, qualified=900, source=web,
         score=80, won_value=Decimal("1000"), **push)  # fmt: skip
    lead(team=a, status=S.QUALIFIED, owner=ana, assigned=60, touched=120, qualified=300,
         source=web, score=60, via="offer", method="shotgun", rule=w.hot)  # fmt: skip
    lead(team=a, status=S.CONTACTED, owner=ana, assigned=100, touched=600, source=fair,
         score=30, country="PT", via="pool", rule=w.to_pool)  # fmt: skip
    lead(team=a, status=S.ASSIGNED, owner=ana, assigned=10, source=fair, score=10, **push)
    lead(team=a, status=S.LOST, owner=bo, assigned=0, touched=240, source=web, score=50,
         lost_reason="No budget", via="desk", method="manual")  # fmt: skip
    lead(team=a, status=S.REJECTED, source=web, score=5, rejection_reason="Unqualified")
    lead(team=team_b, status=S.WON, owner=w.cy, assigned=5, touched=10, qualified=20,
         source=web, score=90, won_value=Decimal("5000"), **push)  # fmt: skip
    lead(team=a, status=S.WON, owner=bo, created=40 * 24 * 60, assigned=1, touched=2,
         qualified=3, source=web, score=90, **push)  # fmt: skip
    return w
