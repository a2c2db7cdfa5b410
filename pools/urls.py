from django.urls import path

from pools.capture import views as capture_views
from pools.capture.imports import views as import_views
from pools.pull import views as pull_views
from pools.screening import views as screening_views
from pools.search import views as search_views
from pools.work import views as work_views

app_name = "pools"
urlpatterns = [
    path("", search_views.lead_list, name="leads"),
    path("mine/", work_views.my_leads, name="my_leads"),
    path("<int:lead_id>/", work_views.lead_detail, name="lead_detail"),
    path("<int:lead_id>/touch/", work_views.lead_touch, name="touch"),
    path("<int:lead_id>/disposition/", work_views.lead_dispose, name="dispose"),
    path("<int:lead_id>/note/", work_views.lead_note, name="note"),
    path("<int:lead_id>/release/", work_views.lead_release, name="release"),
    path("<int:lead_id>/return/", work_views.lead_return, name="return_to_pool"),
    path("pools/", pull_views.pool_list, name="pools"),
    path("pools/<int:pool_id>/", pull_views.pool_detail, name="pool"),
    path("pools/<int:pool_id>/claim/", pull_views.pool_claim, name="claim"),
    path("pools/<int:pool_id>/claim-next/", pull_views.pool_claim_next_view, name="claim_next"),
    path("unqualified/", screening_views.unqualified, name="unqualified"),
    path("<int:lead_id>/override/", screening_views.override, name="override"),
    path("forms/", capture_views.capture_forms, name="forms"),
    path("import/", import_views.import_upload, name="import"),
    path("import/<int:job_id>/", import_views.import_job, name="import_job"),
    path("import/<int:job_id>/errors.csv", import_views.import_errors, name="import_errors"),
    path(
        "import/<int:job_id>/duplicates.csv",
        import_views.import_duplicates,
        name="import_duplicates",
    ),
]
