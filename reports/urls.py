from django.urls import path

from . import views

# Report families: importing a family's views registers its pages (reports.registry), in
# import order on the tabs and the index — hence one import per block (`isort: split`
# keeps the order). A new family is one more block here.
from .conversion import views as conversion  # isort: split

from .pools_offers import views as pools_offers  # isort: split

from .escalations import views as escalations  # isort: split

from .abtest import views as abtest  # isort: split

from .registry import report_pages

FAMILIES = (conversion, pools_offers, escalations, abtest)

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("team/", views.team, name="team"),
    *(path(f"{page.key}/", page.view, name=page.key) for page in report_pages()),
]
