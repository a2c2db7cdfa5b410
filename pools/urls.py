from django.urls import path

from . import views

app_name = "pools"
urlpatterns = [
    path("mine/", views.my_leads, name="my_leads"),
    path("<int:lead_id>/", views.lead_detail, name="lead_detail"),
]
