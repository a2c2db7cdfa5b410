import pytest

from tests.factories import PoolFactory


@pytest.fixture
def pool(team):
    return PoolFactory(team=team, claim_cooldown_hours=0)
