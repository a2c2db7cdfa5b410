from django.urls import path

from .decisions import views
from .escalation import views as escalation_views
from .offers import views as offer_views

app_name = "routing"
urlpatterns = [
    path("leads/<int:lead_id>/why/", views.decision, name="decision"),
    path("offers/", offer_views.offers_mine, name="offers_mine"),
    path("offers/<int:offer_id>/accept/", offer_views.offer_accept_view, name="offer_accept"),
    path("offers/<int:offer_id>/decline/", offer_views.offer_decline_view, name="offer_decline"),
    path("notifications/", escalation_views.notifications, name="notifications"),
    path("notifications/read/", escalation_views.notifications_read, name="notifications_read"),
    path(
        "notifications/<int:pk>/open/",
        escalation_views.notification_open,
        name="notification_open",
    ),
    path("notifications/email/", escalation_views.notifications_email, name="notifications_email"),
]
