from django.urls import path

from . import views, views_capture, views_import, views_screening

app_name = "pools"
urlpatterns = [
    path("mine/", views.my_leads, name="my_leads"),
    path("<int:lead_id>/", views.lead_detail, name="lead_detail"),
    path("unqualified/", views_screening.unqualified, name="unqualified"),
    path("<int:lead_id>/override/", views_screening.override, name="override"),
    path("forms/", views_capture.capture_forms, name="forms"),
    path("import/", views_import.import_upload, name="import"),
    path("import/<int:job_id>/", views_import.import_job, name="import_job"),
    path("import/<int:job_id>/errors.csv", views_import.import_errors, name="import_errors"),
]
