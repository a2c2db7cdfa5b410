from django.urls import path

from . import views
from .abtest import views as abtest
from .conversion import views as conversion
from .escalations import views as escalations
from .fairness import views as fairness
from .pools_offers import views as pools_offers
from .quotas import views as quotas
from .registry import report_pages
from .simulator import views as simulator
from .speed import views as speed

# Report families: importing a family's views registers its pages (reports.registry). A new
# family is one more import here.
FAMILIES = (conversion, speed, fairness, quotas, pools_offers, escalations, abtest, simulator)

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("team/", views.team, name="team"),
    *(path(f"{page.key}/", page.view, name=page.key) for page in report_pages()),
    # A kept replay (reports.simulator): its page, its cancel, its leads as CSV.
    path("simulations/<int:run_id>/", simulator.simulation, name="simulation"),
    path("simulations/<int:run_id>/cancel/", simulator.simulation_cancel, name="simulation_cancel"),
    path("simulations/<int:run_id>/leads.csv", simulator.simulation_csv, name="simulation_csv"),
]
