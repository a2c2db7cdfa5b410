import pytest

from pools.lifecycle import LeadState
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_rep_sees_own_lead_on_my_leads(rep, client_for):
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, company="Acme Widgets")
    response = client_for(rep).get("/leads/mine/")
    assert response.status_code == 200
    assert lead.display_name in response.content.decode()
