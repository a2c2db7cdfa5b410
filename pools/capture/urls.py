from django.urls import path

from pools.capture import views as views_capture

app_name = "capture"
urlpatterns = [
    path("<slug:slug>/", views_capture.capture_form, name="form"),
    path("<slug:slug>/thanks/", views_capture.capture_thanks, name="thanks"),
]
