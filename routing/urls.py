from django.urls import path

from .decisions import views

app_name = "routing"
urlpatterns = [
    path("leads/<int:lead_id>/why/", views.decision, name="decision"),
]
