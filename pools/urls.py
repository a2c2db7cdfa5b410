from django.urls import path

from pools.capture import views as views_capture
from pools.capture.imports import views as views_import
from pools.pull import views as pool_views
from pools.screening import views as views_screening
from pools.work import views

app_name = "pools"
urlpatterns = [
    path("mine/", views.my_leads, name="my_leads"),
    path("<int:lead_id>/", views.lead_detail, name="lead_detail"),
    path("<int:lead_id>/touch/", views.lead_touch, name="touch"),
    path("<int:lead_id>/disposition/", views.lead_dispose, name="dispose"),
    path("<int:lead_id>/note/", views.lead_note, name="note"),
    path("<int:lead_id>/release/", views.lead_release, name="release"),
    path("<int:lead_id>/return/", views.lead_return, name="return_to_pool"),
    path("pools/", pool_views.pool_list, name="pools"),
    path("pools/<int:pool_id>/", pool_views.pool_detail, name="pool"),
    path("pools/<int:pool_id>/claim/", pool_views.pool_claim, name="claim"),
    path("pools/<int:pool_id>/claim-next/", pool_views.pool_claim_next_view, name="claim_next"),
    path("unqualified/", views_screening.unqualified, name="unqualified"),
    path("<int:lead_id>/override/", views_screening.override, name="override"),
    path("forms/", views_capture.capture_forms, name="forms"),
    path("import/", views_import.import_upload, name="import"),
    path("import/<int:job_id>/", views_import.import_job, name="import_job"),
    path("import/<int:job_id>/errors.csv", views_import.import_errors, name="import_errors"),
]
