from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("team/", views.team, name="team"),
]
