from django.contrib import admin
from django.urls import include, path

from notifications.urls import root_patterns as notification_root_patterns
from schoolchat import health

urlpatterns = [
    path("school/audit/", include("records.school_urls")),
    path("", include("accounts.urls")),
    path("", include("messaging.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include(notification_root_patterns)),
    path("consent/", include("consent.urls")),
    path("archive/", include("records.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
