"""Every claim test runs on both claim paths: the one-round-trip SQL of PostgreSQL
(pools.claim_sql) and the per-statement ORM path the SQLite dev database uses."""

import pytest

from tests.factories import PoolFactory
from tests.pool_helpers import CLAIM_PATHS, force_claim_path


@pytest.fixture(params=CLAIM_PATHS, autouse=True)
def claim_path(request, monkeypatch):
    force_claim_path(monkeypatch, request.param)
    return request.param


@pytest.fixture
def pool(team):
    return PoolFactory(team=team, claim_cooldown_hours=0)
