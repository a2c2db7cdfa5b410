from django.urls import path

from . import views

app_name = "desk"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("queue/", views.desk_queue, name="queue"),
    path("bulk/", views.desk_bulk, name="bulk"),
    path("leads/<int:lead_id>/assign/", views.desk_assign, name="assign"),
    path("leads/<int:lead_id>/pool/", views.desk_pool, name="pool"),
    path("leads/<int:lead_id>/skim/", views.desk_skim, name="skim"),
    path("reps/<int:rep_id>/availability/", views.rep_availability, name="availability"),
]
