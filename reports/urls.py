from django.urls import path

from . import views
from .conversion import views as conversion
from .fairness import views as fairness
from .registry import report_pages
from .speed import views as speed

# Report families: importing a family's views registers its pages (reports.registry). A new
# family is one more import here.
FAMILIES = (conversion, speed, fairness)

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("team/", views.team, name="team"),
    *(path(f"{page.key}/", page.view, name=page.key) for page in report_pages()),
]
