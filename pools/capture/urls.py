from django.urls import path

from pools.capture import views as capture_views

app_name = "capture"
urlpatterns = [
    path("<slug:slug>/", capture_views.capture_form, name="form"),
    path("<slug:slug>/thanks/", capture_views.capture_thanks, name="thanks"),
]
