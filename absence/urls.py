from django.urls import path

from absence import views

app_name = "absence"
urlpatterns = [
    path("", views.home, name="home"),
    path("items/", views.items, name="items"),
    path("report/", views.report, name="report"),
    path("<int:pk>/acknowledge", views.acknowledge, name="acknowledge"),
    path("missing/<int:pupil_id>", views.mark_missing, name="mark_missing"),
    path("export/", views.export_csv, name="export"),
    path("settings/", views.settings_page, name="settings"),
]
