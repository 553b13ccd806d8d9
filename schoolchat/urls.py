from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from notifications.urls import root_patterns as notification_root_patterns
from schoolchat import health, metrics_view

urlpatterns = [
    path("school/audit/", include("records.school_urls")),
    path("", include("accounts.urls")),
    path("", include("messaging.urls")),
    path("", include("polls.urls")),
    path("", include("agenda.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include(notification_root_patterns)),
    path("consent/", include("consent.urls")),
    path("archive/", include("records.urls")),
    path("safeguarding/", include("safeguarding.urls")),
    path("", include("sso.urls")),
    path("absence/", include("absence.urls")),
    path("", include("api.urls")),
    path("meetings/", include("meetings.urls")),
    path("activities/", include("activities.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics_view.metrics_page, name="metrics"),
    # The footer's language selector (Django's set_language, which also keeps a signed-in
    # person's choice on their account).
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("django-admin/", admin.site.urls),
]
