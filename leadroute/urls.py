from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from leadroute import views
from leadroute.api import api

admin.site.site_header = "LeadRoute administration"
admin.site.site_title = "LeadRoute admin"
admin.site.index_title = "Rules, people and leads"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # For what names no icon (the API docs, a browser's own guess): the one LeadRoute has.
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    path("accounts/", include("accounts.urls")),
    path("leads/", include("pools.urls")),
    path("capture/", include("pools.capture.urls")),
    path("routing/", include("routing.urls")),
    path("desk/", include("routing.desk.urls")),
    path("reports/", include("reports.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
