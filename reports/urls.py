from django.urls import path

from . import views
from .abtest import views as abtest
from .conversion import views as conversion
from .escalations import views as escalations
from .fairness import views as fairness
from .pools_offers import views as pools_offers
from .quotas import views as quotas
from .registry import report_pages
from .speed import views as speed

# Report families: importing a family's views registers its pages (reports.registry). A new
# family is one more import here.
FAMILIES = (conversion, speed, fairness, quotas, pools_offers, escalations, abtest)

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("team/", views.team, name="team"),
    *(path(f"{page.key}/", page.view, name=page.key) for page in report_pages()),
]
