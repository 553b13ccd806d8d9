from django.urls import path

from sso import views

app_name = "sso"
urlpatterns = [
    path("sso/", views.choose, name="choose"),
    path("sso/<slug:slug>/", views.start, name="start"),
    path("sso/<slug:slug>/callback/", views.callback, name="callback"),
    path("school/sso/", views.settings_page, name="settings"),
    path("school/sso/remove", views.remove, name="remove"),
]
